package golang

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A [param] folder's subfolders are laid over only for //go:embed: a big
// data folder beside a handler that embeds nothing does not stop it.
func TestRelocatedPackageLaysFoldersOnlyForEmbed(t *testing.T) {
	requireGo(t)
	t.Parallel()
	p := loadProject(t, "hello")
	p.write(t, "api/[slug]/index.go", "package handler\n\nimport \"net/http\"\n\nfunc Handler(w http.ResponseWriter, r *http.Request) {}\n")
	data := filepath.Join(p.root, "api", "[slug]", "data")
	if err := os.MkdirAll(data, 0o755); err != nil {
		t.Fatal(err)
	}
	for i := range maxRedirected + 1 {
		if err := os.WriteFile(filepath.Join(data, fmt.Sprintf("f%05d", i)), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	req := buildRequest(p, "api/[slug]/index.go", function("Handler"), t.TempDir(), t.TempDir())
	if _, err := testRuntime().CacheKey(t.Context(), req); err != nil {
		t.Fatalf("CacheKey with %d files in a folder nothing embeds: %v", maxRedirected+1, err)
	}
	// With an embed, the bound applies, and the error says what to do.
	p.write(t, "api/[slug]/embed.go", "package handler\n\nimport \"embed\"\n\n//go:embed data\nvar data embed.FS\n")
	if _, err := testRuntime().CacheKey(t.Context(), req); err == nil || !strings.Contains(err.Error(), "move what is not embedded elsewhere") {
		t.Fatalf("CacheKey with %d embedded files: %v, want the bound's error", maxRedirected+1, err)
	}
}
