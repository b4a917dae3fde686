// Package handler serves /api/users/[id]: a typical zero-config function,
// used by BenchmarkAnalyzeFunction.
package handler

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// User is what the function returns.
type User struct {
	ID      int       `json:"id"`
	Name    string    `json:"name"`
	Email   string    `json:"email,omitempty"`
	Created time.Time `json:"created"`
}

var (
	mu    sync.Mutex
	users = map[int]User{
		1: {ID: 1, Name: "Ada", Email: "ada@example.com"},
		2: {ID: 2, Name: "Grace"},
	}
	errNotFound = errors.New("user not found")
)

func lookup(id int) (User, error) {
	mu.Lock()
	defer mu.Unlock()
	u, ok := users[id]
	if !ok {
		return User{}, fmt.Errorf("looking up user %d: %w", id, errNotFound)
	}
	return u, nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if err := json.NewEncoder(w).Encode(v); err != nil {
		slog.Error("encoding response", "err", err)
	}
}

// Handler returns the user named by the id query parameter.
func Handler(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet, http.MethodHead:
	default:
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	id, err := strconv.Atoi(r.URL.Query().Get("id"))
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "id must be a number"})
		return
	}
	u, err := lookup(id)
	switch {
	case errors.Is(err, errNotFound):
		writeJSON(w, http.StatusNotFound, map[string]string{"error": err.Error()})
	case err != nil:
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "internal error"})
	default:
		writeJSON(w, http.StatusOK, u)
	}
}
