package docs

import (
	"fmt"
	"net/http"
	"strings"
)

// Handler serves every path below /api/docs/ (a catch-all route).
func Handler(w http.ResponseWriter, r *http.Request) {
	parts := strings.Split(r.URL.Query().Get("slug"), "/")
	fmt.Fprintf(w, "docs page %q (%d segments)\n", strings.Join(parts, " > "), len(parts))
}
