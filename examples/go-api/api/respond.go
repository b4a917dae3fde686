package handler

import (
	"encoding/json"
	"net/http"
)

// writeJSON is a helper shared by the handlers of this folder. This file has
// no handler, so it is not a function: it compiles with its package.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
