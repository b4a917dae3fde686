//go:build unix

package python

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lambdalens/lambdalens/runtimes"
)

// lazyApp imports lib/eager.py when it is loaded and lib/lazy.py on its
// first request; it tries to import lib/broken.py, whose import fails, and
// runs lib/conf.py with exec; lib/unused.py it never reads.
const lazyApp = `from http.server import BaseHTTPRequestHandler
from lib import eager

try:
    from lib import broken  # fails: the fallback stays until a restart
except ImportError:
    broken = None
exec(open("lib/conf.py").read())


class handler(BaseHTTPRequestHandler):
    def do_GET(self):
        from lib import lazy
        body = (eager.NAME + " " + lazy.NAME).encode()
        self.send_response(200)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
`

// TestLoaded: a real interpreter says which project files it has
// imported, and a file imported on a request counts from then on.
func TestLoaded(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	writeTree(t, root, map[string]string{
		"api/app.py":    lazyApp,
		"lib/eager.py":  "NAME = 'eager'\n",
		"lib/lazy.py":   "NAME = 'lazy'\n",
		"lib/unused.py": "NAME = 'unused'\n",
		"lib/broken.py": "from lib.missing import X\n",
		"lib/conf.py":   "CONF = 1\n",
	})
	// A symbolic link to a loaded file names it too.
	if err := os.Symlink(filepath.Join(root, "lib", "eager.py"), filepath.Join(root, "eager-link.py")); err != nil {
		t.Fatal(err)
	}
	// Bytecode is written (whatever this machine's environment says), so
	// that the second start below reads it.
	env := slices.DeleteFunc(baseEnv(), func(kv string) bool { return strings.HasPrefix(kv, "PYTHONDONTWRITEBYTECODE=") })
	p, _, err := startDev(t, root, "api/app.py", runtimes.Entrypoint{Symbol: "handler", AppKind: runtimes.AppHandler}, env)
	if err != nil {
		t.Fatalf("StartDev: %v", err)
	}
	lt, ok := p.(runtimes.LoadTracker)
	if !ok {
		t.Fatalf("the Python dev process (%T) is not a runtimes.LoadTracker", p)
	}
	abs := func(rel ...string) []string {
		var out []string
		for _, r := range rel {
			out = append(out, filepath.Join(root, filepath.FromSlash(r)))
		}
		return out
	}
	ask := abs("api/app.py", "lib/eager.py", "lib/lazy.py", "lib/unused.py", "lib/missing.py", "eager-link.py", "lib/broken.py", "lib/conf.py")
	check := func(when string, want []string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		defer cancel()
		got, err := lt.Loaded(ctx, ask)
		if err != nil {
			t.Fatalf("%s: Loaded: %v", when, err)
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: Loaded = %q, want %q", when, got, want)
		}
	}
	check("after start", abs("api/app.py", "lib/eager.py", "eager-link.py", "lib/broken.py", "lib/conf.py"))

	if code, body, _ := do(t, "GET", "http://"+p.Addr()+"/api/app", nil); code != 200 || body != "eager lazy" {
		t.Fatalf("GET = %d %q, want 200 \"eager lazy\"", code, body)
	}
	check("after a request", abs("api/app.py", "lib/eager.py", "lib/lazy.py", "eager-link.py", "lib/broken.py", "lib/conf.py"))

	if err := p.Stop(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got, err := lt.Loaded(t.Context(), ask); err == nil {
		t.Errorf("Loaded after Stop = %q, want an error", got)
	}

	// Started again, the interpreter reads the failing module from its
	// bytecode cache: the .pyc stands for its source.
	p, _, err = startDev(t, root, "api/app.py", runtimes.Entrypoint{Symbol: "handler", AppKind: runtimes.AppHandler}, env)
	if err != nil {
		t.Fatalf("StartDev again: %v", err)
	}
	lt = p.(runtimes.LoadTracker)
	check("after a restart", abs("api/app.py", "lib/eager.py", "eager-link.py", "lib/broken.py", "lib/conf.py"))
}
