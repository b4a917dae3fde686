package handler

import (
	"net/http"

	"example.com/go-api/lib/greet"
)

// Handler serves /api/hello?name=...
func Handler(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{
		"message": greet.Hello(r.URL.Query().Get("name")),
	})
}
