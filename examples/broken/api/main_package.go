package main

import "net/http"

// Handler is in package main, which functions must not use.
func Handler(w http.ResponseWriter, r *http.Request) {}
