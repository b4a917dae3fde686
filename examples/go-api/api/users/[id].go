package users

import (
	"fmt"
	"net/http"

	"example.com/go-api/lib/greet"
)

// Handler serves /api/users/[id]; the id arrives as a query parameter.
func Handler(w http.ResponseWriter, r *http.Request) {
	id := r.URL.Query().Get("id")
	if id == "0" {
		http.Error(w, "no user 0", http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintf(w, "user %s: %s\n", id, greet.Hello("user "+id))
}
