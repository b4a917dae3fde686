package conflict

import "net/http"

// Handler serves /api/conflict, and so does index.py beside it.
func Handler(w http.ResponseWriter, r *http.Request) {}
