package id

import "net/http"

// Handler's path uses the placeholder [id] twice.
func Handler(w http.ResponseWriter, r *http.Request) {}
