package handler

import (
	"fmt"
	"net/http"
)

// Handler greets in Go; /hello/:name is rewritten here by vercel.json.
func Handler(w http.ResponseWriter, r *http.Request) {
	name := r.URL.Query().Get("name")
	if name == "" {
		name = "world"
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintf(w, "Hello from Go, %s!\n", name)
}
