package syntax

import "net/http"

// Handler parses, but the function below it does not.
func Handler(w http.ResponseWriter, r *http.Request) {}

func broken( {
}
