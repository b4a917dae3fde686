package golang

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
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
	goLog := filepath.Join(t.TempDir(), "go.log")
	memoCache := t.TempDir()
	r := testRuntime()
	r.GoCommand = countingGo(t, goLog)
	r.racyWindow = time.Nanosecond // the test's writes are not racy: keys take longer than a clock tick
	req := buildRequest(p, "api/hello.go", function("Handler"), t.TempDir(), memoCache)
	goRuns := func() int {
		data, _ := os.ReadFile(goLog)
		return strings.Count(string(data), "\n")
	}
	check := func(step string, wantGo bool) {
		t.Helper()
		before := goRuns()
		got, err := r.CacheKey(t.Context(), req)
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		ran := goRuns() > before
		fresh := buildRequest(p, "api/hello.go", function("Handler"), t.TempDir(), t.TempDir())
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
	}
	check("first key", true)
	check("nothing changed", false)
	check("nothing changed again", false)
	steps := []struct {
		name string
		edit func()
	}{
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
	}
	for _, s := range steps {
		s.edit()
		check(s.name, true)
		check(s.name+", then nothing", false)
	}
	// A file changed while the key was computed is not trusted: with the
	// default window every fresh write is recent, so nothing is remembered.
	r.racyWindow = 0
	p.write(t, "internal/greet/greet.go", "package greet\n\nfunc Text() string { return \"changed again\" }\n")
	check("recent change", true)
	check("recent change, then nothing", true)
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
