package golang

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/tools/txtar"

	"github.com/lambdalens/lambdalens/runtimes"
)

// testProject is a txtar fixture from testdata/projects written to a temp
// directory. A "root: <dir>" line in the archive's comment puts the project
// root below the directory the files are written to (to test a go.mod in a
// parent of the project).
type testProject struct {
	dir  string // where the archive was written
	root string // the project root
}

func requireGo(tb testing.TB) {
	tb.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		tb.Skip("no go command on PATH")
	}
}

func loadProject(tb testing.TB, name string) testProject {
	tb.Helper()
	ar, err := txtar.ParseFile(filepath.Join("testdata", "projects", name+".txtar"))
	if err != nil {
		tb.Fatal(err)
	}
	dir := tb.TempDir()
	for _, f := range ar.Files {
		p := filepath.Join(dir, filepath.FromSlash(f.Name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(p, f.Data, 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	p := testProject{dir: dir, root: dir}
	for line := range strings.SplitSeq(string(ar.Comment), "\n") {
		if v, ok := strings.CutPrefix(line, "root: "); ok {
			p.root = filepath.Join(dir, filepath.FromSlash(strings.TrimSpace(v)))
		}
	}
	return p
}

// write replaces a file of the project (relative to the root).
func (p testProject) write(tb testing.TB, file, content string) {
	tb.Helper()
	path := filepath.Join(p.root, filepath.FromSlash(file))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		tb.Fatal(err)
	}
}

// snapshot hashes every file, directory and symlink under dir, except
// .vercel/cache: the default cache directory is the one place lambdalens
// may write.
func snapshot(tb testing.TB, dir string) map[string]string {
	tb.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		if d.IsDir() && d.Name() == "cache" && filepath.Base(filepath.Dir(path)) == ".vercel" {
			return filepath.SkipDir
		}
		if d.IsDir() && d.Name() == ".vercel" {
			return nil
		}
		switch {
		case d.IsDir():
			out[rel] = "dir"
		case d.Type()&fs.ModeSymlink != 0:
			target, err := os.Readlink(path)
			if err != nil {
				return err
			}
			out[rel] = "link " + target
		default:
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			fi, err := d.Info()
			if err != nil {
				return err
			}
			sum := sha256.Sum256(data)
			out[rel] = fi.Mode().String() + " " + hex.EncodeToString(sum[:])
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

func assertUnchanged(tb testing.TB, before, after map[string]string) {
	tb.Helper()
	for k, v := range before {
		if after[k] != v {
			tb.Errorf("user tree changed: %s was %q, now %q", k, v, after[k])
		}
	}
	for k := range after {
		if _, ok := before[k]; !ok {
			tb.Errorf("user tree changed: %s appeared", k)
		}
	}
}

func testRuntime() *Runtime {
	return &Runtime{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
}

func function(symbol string) runtimes.Entrypoint {
	return runtimes.Entrypoint{Language: runtimes.Go, Kind: runtimes.KindFunction, Package: "handler", Symbol: symbol}
}

// startDev starts a dev process for file and stops it when the test ends.
func startDev(tb testing.TB, r *Runtime, p testProject, cache, file string, ep runtimes.Entrypoint) (runtimes.DevProcess, error) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	proc, err := r.StartDev(ctx, runtimes.DevRequest{
		Root:       p.root,
		File:       file,
		Entrypoint: ep,
		CacheDir:   cache,
		Stderr:     testWriter{tb},
	})
	if err != nil {
		return nil, err
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := proc.Stop(ctx); err != nil {
			tb.Errorf("stopping %s: %v", file, err)
		}
	})
	return proc, nil
}

// get fetches http://addr/path and returns the body.
func get(tb testing.TB, addr, path string) string {
	tb.Helper()
	c := &http.Client{Timeout: 10 * time.Second}
	resp, err := c.Get("http://" + addr + path)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		tb.Fatalf("GET %s: status %d: %s", path, resp.StatusCode, body)
	}
	return string(body)
}

// testWriter sends a child's stderr to the test log.
type testWriter struct{ tb testing.TB }

func (w testWriter) Write(b []byte) (int, error) {
	w.tb.Logf("child: %s", strings.TrimRight(string(b), "\n"))
	return len(b), nil
}

func readFile(tb testing.TB, path string) string {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}
