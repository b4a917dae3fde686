package devserver

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/lambdalens/lambdalens/project"
	"github.com/lambdalens/lambdalens/runtimes"
	"github.com/lambdalens/lambdalens/runtimes/golang"
)

// Code from outside the project root: dev runs on mono/apps/web, whose
// module is mono/ (a monorepo), and that module replaces a module with
// ../ext. Edits in both rebuild the function, as edits inside the root do.
func TestOutsideRootEditsRebuild(t *testing.T) {
	if testing.Short() {
		t.Skip("builds Go programs")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command on PATH")
	}
	base := t.TempDir()
	writeFiles(t, base, map[string]string{
		"mono/go.mod":     "module example.test/mono\n\ngo 1.26\n\nrequire example.test/ext v0.0.0\n\nreplace example.test/ext => ../ext\n",
		"mono/lib/lib.go": "package lib\n\nfunc Word() string { return \"lib1\" }\n",
		"ext/go.mod":      "module example.test/ext\n\ngo 1.26\n",
		"ext/ext.go":      "package ext\n\nfunc Word() string { return \"ext1\" }\n",
		"mono/apps/web/api/hello.go": `package handler

import (
	"fmt"
	"net/http"

	"example.test/ext"
	"example.test/mono/lib"
)

func Handler(w http.ResponseWriter, r *http.Request) {
	fmt.Fprintf(w, "%s %s", lib.Word(), ext.Word())
}
`,
	})
	srv, err := New(Config{
		Dir:      filepath.Join(base, "mono", "apps", "web"),
		Listen:   "127.0.0.1:0",
		Runtimes: map[runtimes.Language]runtimes.Runtime{runtimes.Go: &golang.Runtime{Logger: quietLogger()}},
		Logger:   quietLogger(),
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := srv.Close(ctx); err != nil {
			t.Errorf("Close: %v", err)
		}
	}()
	client := &http.Client{Timeout: e2eTimeout}
	waitBody := func(timeout time.Duration, want string) {
		t.Helper()
		eventually(t, timeout, "/api/hello to serve "+want, func() (bool, string) {
			resp, err := client.Get(srv.URL() + "/api/hello")
			if err != nil {
				return false, err.Error()
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			return resp.StatusCode == 200 && string(body) == want, fmt.Sprintf("%d %q", resp.StatusCode, body)
		})
	}
	waitBody(e2eTimeout, "lib1 ext1")

	// Once the inputs are known, their outside folders are watched.
	lib, ext := filepath.Join(base, "mono", "lib"), filepath.Join(base, "ext")
	eventually(t, e2eTimeout, "the outside folders to be watched", func() (bool, string) {
		srv.outside.mu.Lock()
		defer srv.outside.mu.Unlock()
		var all []string
		for _, ds := range srv.outside.byFunc {
			all = append(all, ds...)
		}
		return slices.Contains(all, lib) && slices.Contains(all, ext), fmt.Sprint(all)
	})
	replaceIn(t, filepath.Join(lib, "lib.go"), `"lib1"`, `"lib2"`)
	waitBody(time.Minute, "lib2 ext1")
	replaceIn(t, filepath.Join(ext, "ext.go"), `"ext1"`, `"ext2"`)
	waitBody(time.Minute, "lib2 ext2")
}

// fakeDirs records what Set was given.
type fakeDirs struct{ sets [][]string }

func (d *fakeDirs) Set(dirs []string) { d.sets = append(d.sets, slices.Clone(dirs)) }
func (d *fakeDirs) Close() error      { return nil }

// The outside folders are bounded, with one warning; a removed function's
// folders are no longer watched.
func TestOutsideDirsBounded(t *testing.T) {
	root := t.TempDir()
	events := newEventLog()
	srv, err := New(Config{Dir: root, Runtimes: map[runtimes.Language]runtimes.Runtime{runtimes.Go: &golang.Runtime{}},
		Logger: quietLogger(), Events: events.add})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close(context.Background())
	fake := &fakeDirs{}
	srv.outside.dirs = fake
	outside := filepath.Dir(root)
	in := runtimes.Inputs{Files: []string{filepath.Join(root, "go.mod")}, Dirs: []string{filepath.Join(root, "api")}}
	for i := range maxOutsideDirs + 5 {
		in.Dirs = append(in.Dirs, filepath.Join(outside, fmt.Sprintf("lib%04d", i)))
	}
	f := newFunction(srv, &project.Function{ID: "api/a", File: "api/a.go"})
	g := newFunction(srv, &project.Function{ID: "api/b", File: "api/b.go"})
	srv.outside.update(f, newInputSet(in))
	srv.outside.update(g, newInputSet(runtimes.Inputs{Dirs: []string{filepath.Join(outside, "lib0000")}}))
	if n := len(fake.sets); n != 2 {
		t.Fatalf("Set called %d times, want 2", n)
	}
	for _, set := range fake.sets {
		if len(set) != maxOutsideDirs || slices.Contains(set, filepath.Join(root, "api")) {
			t.Errorf("Set got %d folders (inside ones: %v), want the %d first outside ones", len(set), slices.Contains(set, filepath.Join(root, "api")), maxOutsideDirs)
		}
	}
	if n := events.count(func(ev Event) bool { return ev.Type == EventWarning }); n != 1 {
		t.Errorf("%d warnings, want 1", n)
	}
	f.remove()
	if last := fake.sets[len(fake.sets)-1]; !slices.Equal(last, []string{filepath.Join(outside, "lib0000")}) {
		t.Errorf("after removing api/a: Set(%v)", last)
	}
}
