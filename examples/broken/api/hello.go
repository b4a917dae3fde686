package handler

import "net/http"

// Handler is fine; vercel.json gives it too little memory.
func Handler(w http.ResponseWriter, r *http.Request) {
	w.Write([]byte("hello"))
}
