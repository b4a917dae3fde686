package signature

import "net/http"

// Handler takes only the writer: not a handler signature.
func Handler(w http.ResponseWriter) {
	w.WriteHeader(http.StatusNoContent)
}
