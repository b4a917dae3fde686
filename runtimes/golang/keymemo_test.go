package golang

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lambdalens/lambdalens/runtimes"
)

// TestCacheKeyMemo holds the remembered keys to the go command: after
// every change, the key with the memo equals the key computed from
// scratch, and a build where nothing changed runs no go command at all.
func TestCacheKeyMemo(t *testing.T) {
	requireGo(t)
	t.Parallel()
	p := loadProject(t, "samemodule")
	p.write(t, "internal/greet/static/a.txt", "embedded v1")
	p.write(t, "internal/greet/embed.go", "package greet\n\nimport \"embed\"\n\n//go:embed static\nvar Static embed.FS\n")
	m := newMemoCheck(t, p, "api/hello.go", function("Handler"))
	m.check("first key", true)
	m.check("nothing changed", false)
	m.check("nothing changed again", false)
	m.steps([]memoStep{
		{"imported file, same size", func() {
			p.write(t, "internal/greet/greet.go", "package greet\n\nfunc Text() string { return \"HELLO from internal/greet\" }\n")
		}},
		{"file excluded by a build constraint added", func() {
			p.write(t, "internal/greet/extra.go", "//go:build never\n\npackage greet\n\nconst Extra = 1\n")
		}},
		{"the build constraint removed", func() {
			p.write(t, "internal/greet/extra.go", "//go:build !never\n\npackage greet\n\nconst Extra = 1\n")
		}},
		{"embedded file changed", func() { p.write(t, "internal/greet/static/a.txt", "embedded v2") }},
		{"file added to an embedded folder", func() { p.write(t, "internal/greet/static/sub/b.txt", "new") }},
		{"go.mod", func() { p.write(t, "go.mod", "module example.com/app\n\ngo 1.23\n") }},
		{"go.work created", func() { p.write(t, "go.work", "go 1.23\n\nuse .\n") }},
		{"handler file", func() {
			p.write(t, "api/hello.go", strings.Replace(readFile(t, filepath.Join(p.root, "api/hello.go")), "greet.Text()", "greet.Text() + \"!\"", 1))
		}},
	})
	// A file changed while the key was computed is not trusted: with the
	// default window every fresh write is recent, so nothing is remembered.
	m.r.racyWindow = 0
	p.write(t, "internal/greet/greet.go", "package greet\n\nfunc Text() string { return \"changed again\" }\n")
	m.check("recent change", true)
	m.check("recent change, then nothing", true)
}

// TestCacheKeyMemoEmbedFolders: a file can join an embed pattern in a
// folder that holds no embedded file yet (empty, or only a dot file, which
// a pattern without all: skips) and in a folder matched by a wildcard
// above the embedded files. Each must be recomputed, not recalled.
func TestCacheKeyMemoEmbedFolders(t *testing.T) {
	requireGo(t)
	t.Parallel()
	t.Run("plain path", func(t *testing.T) { t.Parallel(); testMemoEmbedFolders(t, "") })
	// Globbing must not read the project's own path as a pattern.
	t.Run("glob characters in the project path", func(t *testing.T) { t.Parallel(); testMemoEmbedFolders(t, "site[1]") })
}

func testMemoEmbedFolders(t *testing.T, under string) {
	p := loadProject(t, "samemodule")
	if under != "" {
		moved := filepath.Join(t.TempDir(), under)
		if err := os.Rename(p.dir, moved); err != nil {
			t.Fatal(err)
		}
		p.dir, p.root = moved, moved
	}
	p.write(t, "internal/greet/embed.go", "package greet\n\nimport \"embed\"\n\n//go:embed tmpl parts/*/x.txt\nvar Static embed.FS\n")
	p.write(t, "internal/greet/tmpl/index.html", "index")
	p.write(t, "internal/greet/tmpl/img/.gitkeep", "")
	p.write(t, "internal/greet/parts/one/x.txt", "one")
	for _, d := range []string{"tmpl/empty", "tmpl/deep/a/b", "parts/two"} {
		if err := os.MkdirAll(filepath.Join(p.root, "internal/greet", d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	m := newMemoCheck(t, p, "api/hello.go", function("Handler"))
	m.check("first key", true)
	m.check("nothing changed", false)
	m.steps([]memoStep{
		{"file added beside a dot file", func() { p.write(t, "internal/greet/tmpl/img/logo.png", "png") }},
		{"file added to an empty folder", func() { p.write(t, "internal/greet/tmpl/empty/a.txt", "a") }},
		{"file added deep in empty folders", func() { p.write(t, "internal/greet/tmpl/deep/a/b/c.txt", "c") }},
		{"file added to a folder a wildcard matches", func() { p.write(t, "internal/greet/parts/two/x.txt", "two") }},
	})
}

// TestCacheKeyMemoRelocated is TestCacheKeyMemo for a handler in a folder
// the go command rejects ([slug]), which it compiles from a virtual
// folder: the memo must watch the real one.
func TestCacheKeyMemoRelocated(t *testing.T) {
	requireGo(t)
	t.Parallel()
	p := loadProject(t, "brackets")
	m := newMemoCheck(t, p, "api/posts/[slug]/index.go", function("Handler"))
	m.check("first key", true)
	m.check("nothing changed", false)
	m.steps([]memoStep{
		{"helper file beside the handler, same size", func() {
			p.write(t, "api/posts/[slug]/prefix.go", "package handler\n\nconst prefix = \"POST \"\n")
		}},
		{"file added beside the handler", func() {
			p.write(t, "api/posts/[slug]/suffix.go", "package handler\n\nconst suffix = \"!\"\n")
		}},
		{"handler file", func() {
			p.write(t, "api/posts/[slug]/index.go", strings.Replace(readFile(t, filepath.Join(p.root, "api/posts/[slug]/index.go")), "prefix +", "prefix + suffix +", 1))
		}},
	})
}

// TestCacheKeyMemoServer: for a server the main package is the user's, so
// go build reads its default.pgo (-pgo=auto), and the key follows it.
func TestCacheKeyMemoServer(t *testing.T) {
	requireGo(t)
	t.Parallel()
	p := loadProject(t, "server")
	m := newMemoCheck(t, p, "main.go", runtimes.Entrypoint{Language: runtimes.Go, Kind: runtimes.KindServer})
	m.check("first key", true)
	m.check("nothing changed", false)
	first := m.last
	m.steps([]memoStep{
		{"default.pgo added", func() { p.write(t, "default.pgo", "profile v1") }},
		{"default.pgo changed, same size", func() { p.write(t, "default.pgo", "profile v2") }},
	})
	if m.last == first {
		t.Error("the server's key did not change with its default.pgo")
	}
}

type memoStep struct {
	name string
	edit func()
}

// memoCheck compares CacheKey with a memo (r, its memo folder kept) to
// CacheKey computed from scratch, and counts the go commands r runs.
type memoCheck struct {
	t    *testing.T
	p    testProject
	file string
	ep   runtimes.Entrypoint
	r    *Runtime
	req  runtimes.BuildRequest
	log  string
	last string // the last key
}

func newMemoCheck(t *testing.T, p testProject, file string, ep runtimes.Entrypoint) *memoCheck {
	m := &memoCheck{t: t, p: p, file: file, ep: ep, log: filepath.Join(t.TempDir(), "go.log")}
	m.r = testRuntime()
	m.r.GoCommand = countingGo(t, m.log)
	m.r.racyWindow = time.Nanosecond // the test's writes are not racy: keys take longer than a clock tick
	m.req = buildRequest(p, file, ep, t.TempDir(), t.TempDir())
	return m
}

func (m *memoCheck) goRuns() int {
	data, _ := os.ReadFile(m.log)
	return strings.Count(string(data), "\n")
}

// check computes the key after step and fails the test when it differs
// from a fresh key or when a go command ran (or did not) against wantGo.
func (m *memoCheck) check(step string, wantGo bool) {
	t := m.t
	t.Helper()
	before := m.goRuns()
	got, err := m.r.CacheKey(t.Context(), m.req)
	if err != nil {
		t.Fatalf("%s: %v", step, err)
	}
	ran := m.goRuns() > before
	fresh := buildRequest(m.p, m.file, m.ep, t.TempDir(), t.TempDir())
	want, err := testRuntime().CacheKey(t.Context(), fresh)
	if err != nil {
		t.Fatalf("%s: fresh key: %v", step, err)
	}
	if got != want {
		t.Errorf("%s: the remembered key differs from the key computed from scratch", step)
	}
	if ran != wantGo {
		t.Errorf("%s: go command run = %v, want %v", step, ran, wantGo)
	}
	m.last = got
}

// steps applies each edit, expecting the key to be recomputed, and then
// remembered.
func (m *memoCheck) steps(steps []memoStep) {
	m.t.Helper()
	for _, s := range steps {
		s.edit()
		m.check(s.name, true)
		m.check(s.name+", then nothing", false)
	}
}

// countingGo returns a go command that appends a line to log per run.
func countingGo(t *testing.T, log string) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(t.TempDir(), "go")
	body := "#!/bin/sh\necho \"$*\" >> '" + log + "'\nexec '" + goBin + "' \"$@\"\n"
	if err := os.WriteFile(script, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	return script
}
