package multi

import "net/http"

// Handler is used.
func Handler(w http.ResponseWriter, r *http.Request) {}

// Other is a second handler in the same file: ignored, with a warning.
func Other(w http.ResponseWriter, r *http.Request) {}
