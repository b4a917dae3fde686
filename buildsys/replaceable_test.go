package buildsys

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// checkReplaceable replaces only what really is a Build Output: a folder
// with a config.json is not one by that alone. Issue 1: `build --out
// public` replaced the user's public/, which had a config.json of its own.
func TestCheckReplaceable(t *testing.T) {
	const bo = `{"version": 3, "routes": []}`
	tests := []struct {
		name  string
		files map[string]string // under the project root; "" for a folder
		out   string            // relative to the root, or absolute with $OUT
		err   string            // "" when it may be replaced
	}{
		{name: "missing", out: ".vercel/output"},
		{name: "missing in the project", out: "dist"},
		{name: "empty under .vercel", files: map[string]string{".vercel/output/": ""}, out: ".vercel/output"},
		{name: "previous output", files: map[string]string{
			".vercel/output/config.json": bo, ".vercel/output/builds.json": "{}",
			".vercel/output/static/a.html": "a", ".vercel/output/functions/api/x.func/bootstrap": "x",
		}, out: ".vercel/output"},
		{name: "previous output in the project", files: map[string]string{"dist/config.json": bo, "dist/static/a.html": "a"}, out: "dist"},
		{name: "source folder with a config.json", files: map[string]string{
			"public/index.html": "<h1>mine</h1>", "public/config.json": `{"theme":"dark"}`,
		}, out: "public", err: "refusing to replace public: it is a folder of the project and not a Build Output directory"},
		{name: "only a foreign config.json", files: map[string]string{"public/config.json": `{"theme":"dark"}`},
			out: "public", err: `its config.json is not a Build Output config with "version": 3`},
		{name: "version 3 beside user files", files: map[string]string{"public/config.json": bo, "public/index.html": "x"},
			out: "public", err: "it holds index.html, which a Build Output does not"},
		{name: "version as a string", files: map[string]string{".vercel/output/config.json": `{"version":"3"}`},
			out: ".vercel/output", err: "not a Build Output config"},
		{name: "empty source folder", files: map[string]string{"public/": ""}, out: "public", err: "(it is empty); choose another --out"},
		{name: "not empty outside the project", files: map[string]string{"$OUT/notes.txt": "x"}, out: "$OUT",
			err: "it is not empty and not a Build Output directory (it holds notes.txt"},
		{name: "empty outside the project", files: map[string]string{"$OUT/": ""}, out: "$OUT"},
		{name: "foreign config.json outside the project", files: map[string]string{"$OUT/config.json": "{}"}, out: "$OUT",
			err: "not a Build Output config"},
		{name: "the project itself", out: ".", err: "contains the project"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root, outside := t.TempDir(), filepath.Join(t.TempDir(), "out")
			at := func(name string) string {
				if rest, ok := strings.CutPrefix(name, "$OUT"); ok {
					return outside + filepath.FromSlash(rest)
				}
				return filepath.Join(root, filepath.FromSlash(name))
			}
			for name, body := range tt.files {
				if strings.HasSuffix(name, "/") {
					if err := os.MkdirAll(at(name), 0o755); err != nil {
						t.Fatal(err)
					}
					continue
				}
				writeFile(t, at(name), body)
			}
			err := checkReplaceable(root, at(tt.out))
			switch {
			case tt.err == "" && err != nil:
				t.Errorf("checkReplaceable(%s) = %v, want nil", tt.out, err)
			case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
				t.Errorf("checkReplaceable(%s) = %v, want an error containing %q", tt.out, err, tt.err)
			}
		})
	}
}
