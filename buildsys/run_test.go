package buildsys

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/lambdalens/lambdalens/project"
	"github.com/lambdalens/lambdalens/runtimes"
)

func goRuntimes(f *fakeRuntime) map[runtimes.Language]runtimes.Runtime {
	return map[runtimes.Language]runtimes.Runtime{runtimes.Go: f}
}

func threeFunctions(t *testing.T) *project.Project {
	return testProject(t, map[string]string{
		"api/a.go": "package handler // a",
		"api/b.go": "package handler // b",
		"api/c.go": "package handler // c",
	}, fn("api/a.go"), fn("api/b.go"), fn("api/c.go"))
}

// snapshot reads every file under dir (content and mode), or nil when dir
// does not exist.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	m := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		data, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		m[filepath.ToSlash(rel)] = info.Mode().String() + "\n" + string(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestRunConcurrencyBound(t *testing.T) {
	tests := []struct {
		description string
		fns, jobs   int
	}{
		{"two slots for five functions", 5, 2},
		{"one slot serializes", 3, 1},
		{"more slots than functions", 2, 8},
	}
	for _, tt := range tests {
		t.Run(tt.description, func(t *testing.T) {
			files := map[string]string{}
			var fns []*project.Function
			for i := range tt.fns {
				name := "api/f" + string(rune('a'+i)) + ".go"
				files[name] = "package handler // " + name
				fns = append(fns, fn(name))
			}
			p := testProject(t, files, fns...)
			f := &fakeRuntime{lang: runtimes.Go, hold: make(chan struct{})}
			done := make(chan error, 1)
			go func() {
				_, err := Run(context.Background(), Options{Project: p, Runtimes: goRuntimes(f), Jobs: tt.jobs})
				done <- err
			}()
			want := int64(min(tt.fns, tt.jobs))
			waitFor(t, "builds to fill the slots", func() bool { return f.inFlight.Load() == want })
			close(f.hold)
			if err := <-done; err != nil {
				t.Fatalf("Run: %v", err)
			}
			if got := f.maxIn.Load(); got != want {
				t.Errorf("max builds in flight = %d, want %d", got, want)
			}
			if got := f.builds.Load(); got != int64(tt.fns) {
				t.Errorf("builds = %d, want %d", got, tt.fns)
			}
		})
	}
}

// A failure that is not a compile error reads as the runtime said it, once:
// the runtime's error names the file, and neither the cache key layer nor
// FunctionError adds the file again ("api/a.py: computing the cache key of
// api/a.py: computing the cache key of api/a.py: ..." before).
func TestRunFailureNamesTheFileOnce(t *testing.T) {
	p := testProject(t, map[string]string{
		"api/a.go": "package handler\nKEYFAIL requirements.txt includes other.txt: no such file",
		"api/b.go": "package handler",
	}, fn("api/a.go"), fn("api/b.go"))
	var failed Event
	_, err := Run(context.Background(), Options{Project: p, Runtimes: goRuntimes(&fakeRuntime{lang: runtimes.Go}), Events: func(e Event) {
		if e.Stage == StageFailed {
			failed = e
		}
	}})
	var failure *Failure
	if !errors.As(err, &failure) || len(failure.Errors) != 1 {
		t.Fatalf("Run error = %v, want one failed function", err)
	}
	const want = "computing the cache key of api/a.go: requirements.txt includes other.txt: no such file"
	if got := failure.Errors[0].Error(); got != want {
		t.Errorf("FunctionError = %q, want %q", got, want)
	}
	if got := errText(failed.Err); got != want {
		t.Errorf("failed event = %q, want %q", got, want)
	}
	if n := strings.Count(err.Error(), "api/a.go"); n != 1 {
		t.Errorf("Run error names api/a.go %d times, want once:\n%s", n, err)
	}
	if d := failure.Errors[0].Diagnostics(); len(d) != 1 || d[0].File != "api/a.go" || d[0].Message != want {
		t.Errorf("Diagnostics() = %+v", d)
	}
}

func TestRunReportsEveryFailure(t *testing.T) {
	p := testProject(t, map[string]string{
		"api/a.go": "package handler\nFAIL 4:2 undefined: foo",
		"api/b.go": "package handler // fine",
		"api/c.go": "package handler\nFAIL 7:10 missing return",
	}, fn("api/a.go"), fn("api/b.go"), fn("api/c.go"))
	f := &fakeRuntime{lang: runtimes.Go}
	var events []Event
	sum, err := Run(context.Background(), Options{Project: p, Runtimes: goRuntimes(f), Events: func(e Event) { events = append(events, e) }})
	var failure *Failure
	if !errors.As(err, &failure) {
		t.Fatalf("Run error = %v (%T), want *Failure", err, err)
	}
	if len(failure.Errors) != 2 || failure.Total != 3 {
		t.Fatalf("failure has %d errors of %d, want 2 of 3", len(failure.Errors), failure.Total)
	}
	for _, want := range []string{"api/a.go:4:2: error: undefined: foo", "api/c.go:7:10: error: missing return", "2 of 3 functions failed"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%s", want, err)
		}
	}
	if d := failure.Errors[1].Diagnostics(); len(d) != 1 || d[0].Range.Start.Line != 7 {
		t.Errorf("Diagnostics() of api/c = %+v", d)
	}
	// The good function still built, and nothing was written.
	if f.builds.Load() != 3 {
		t.Errorf("builds = %d, want 3", f.builds.Load())
	}
	if sum == nil || sum.OK() || sum.Functions[1].Err != nil || sum.Functions[1].Runtime != "provided.al2023" {
		t.Errorf("summary = %+v", sum)
	}
	if sum.OutDir != "" || snapshot(t, filepath.Join(p.Root, ".vercel", "output")) != nil {
		t.Error("a failed build wrote the output")
	}
	var failed []string
	for _, e := range events {
		if e.Stage == StageFailed {
			failed = append(failed, e.Function)
			if len(e.Diagnostics) != 1 {
				t.Errorf("failed event for %s has diagnostics %+v", e.Function, e.Diagnostics)
			}
		}
	}
	slices.Sort(failed)
	if !slices.Equal(failed, []string{"api/a", "api/c"}) {
		t.Errorf("failed events for %q", failed)
	}
}

func TestRunCache(t *testing.T) {
	p := threeFunctions(t)
	f := &fakeRuntime{lang: runtimes.Go}
	opts := Options{Project: p, Runtimes: goRuntimes(f)}
	out := filepath.Join(p.Root, ".vercel", "output")
	if _, err := Run(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	first := snapshot(t, out)

	// No change: nothing is built, the output is the same.
	f.builds.Store(0)
	sum, err := Run(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if n := f.builds.Load(); n != 0 {
		t.Errorf("second build ran the runtime %d times, want 0", n)
	}
	for _, fs := range sum.Functions {
		if !fs.Cached || fs.Key == "" {
			t.Errorf("%s: Cached=%v Key=%q, want a cache hit", fs.ID, fs.Cached, fs.Key)
		}
	}
	if second := snapshot(t, out); !mapsEqual(first, second) {
		t.Error("a cached build changed the output")
	}

	tests := []struct {
		description string
		change      func()
		rebuilt     []string
	}{
		{"a source change rebuilds that function", func() {
			writeFile(t, filepath.Join(p.Root, "api", "b.go"), "package handler // b2")
		}, []string{"api/b.go"}},
		{"a config change rebuilds that function", func() { p.Functions[2].Config.Memory = 512 }, []string{"api/c.go"}},
		{"an arch change rebuilds everything", func() { opts.Arch = "arm64" }, []string{"api/a.go", "api/b.go", "api/c.go"}},
		{"NoCache rebuilds everything", func() { opts.NoCache = true }, []string{"api/a.go", "api/b.go", "api/c.go"}},
	}
	for _, tt := range tests {
		t.Run(tt.description, func(t *testing.T) {
			tt.change()
			f.mu.Lock()
			f.reqs = nil
			f.mu.Unlock()
			if _, err := Run(context.Background(), opts); err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range f.requests() {
				got = append(got, r.File)
			}
			slices.Sort(got)
			if !slices.Equal(got, tt.rebuilt) {
				t.Errorf("rebuilt %q, want %q", got, tt.rebuilt)
			}
		})
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || v != w {
			return false
		}
	}
	return true
}

func TestRunFailureKeepsPreviousOutput(t *testing.T) {
	p := threeFunctions(t)
	f := &fakeRuntime{lang: runtimes.Go}
	opts := Options{Project: p, Runtimes: goRuntimes(f), Zip: true}
	if _, err := Run(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(p.Root, ".vercel", "output")
	before := snapshot(t, out)
	if len(before) == 0 {
		t.Fatal("first build wrote nothing")
	}
	writeFile(t, filepath.Join(p.Root, "api", "b.go"), "package handler\nFAIL 2:1 broken")
	writeFile(t, filepath.Join(p.Root, "api", "c.go"), "package handler // c changed")
	if _, err := Run(context.Background(), opts); err == nil {
		t.Fatal("Run of a broken project succeeded")
	}
	if after := snapshot(t, out); !mapsEqual(before, after) {
		t.Error("a failed build changed the previous output")
	}
	ents, err := os.ReadDir(filepath.Join(p.Root, ".vercel"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if strings.Contains(e.Name(), ".tmp-") || strings.Contains(e.Name(), ".old") {
			t.Errorf("left behind %s", e.Name())
		}
	}
}

func TestRunCancelled(t *testing.T) {
	p := threeFunctions(t)
	f := &fakeRuntime{lang: runtimes.Go, hold: make(chan struct{})}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := Run(ctx, Options{Project: p, Runtimes: goRuntimes(f), Jobs: 1})
		done <- err
	}()
	waitFor(t, "a build to start", func() bool { return f.inFlight.Load() == 1 })
	cancel()
	err := <-done
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Run error = %v, want context.Canceled", err)
	}
	if snapshot(t, filepath.Join(p.Root, ".vercel", "output")) != nil {
		t.Error("a cancelled build wrote the output")
	}
}

func TestRunDiagnosticsStopTheBuild(t *testing.T) {
	p := threeFunctions(t)
	p.Diagnostics = []runtimes.Diagnostic{
		{File: "vercel.json", Severity: runtimes.SeverityError, Message: "memory must be at most 10240",
			Range: runtimes.Range{Start: runtimes.Position{Line: 3, Column: 15}}},
		{File: "api/a.go", Severity: runtimes.SeverityWarning, Message: "just a warning",
			Range: runtimes.Range{Start: runtimes.Position{Line: 1, Column: 1}}},
		{File: "api/b.go", Severity: runtimes.SeverityHint, Message: "editor stuff"},
	}
	f := &fakeRuntime{lang: runtimes.Go}
	var progress bytes.Buffer
	sum, err := Run(context.Background(), Options{Project: p, Runtimes: goRuntimes(f), Progress: &progress})
	var de *DiagnosticsError
	if !errors.As(err, &de) || sum != nil {
		t.Fatalf("Run = %v, %v; want a *DiagnosticsError", sum, err)
	}
	if len(de.Diagnostics) != 1 || !strings.Contains(err.Error(), "vercel.json:3:15: error: memory must be at most 10240") {
		t.Errorf("error = %q", err)
	}
	if f.builds.Load() != 0 {
		t.Error("a project with errors was built")
	}
	if !strings.Contains(progress.String(), "api/a.go:1:1: warning: just a warning") {
		t.Errorf("progress lacks the warning:\n%s", progress.String())
	}
	if strings.Contains(progress.String(), "editor stuff") {
		t.Errorf("progress shows a hint:\n%s", progress.String())
	}
}

func TestRunOnly(t *testing.T) {
	tests := []struct {
		description string
		only        string
		want        []string
		wantErr     string
	}{
		{"glob on the ID", "api/users/*", []string{"api/users/[id]"}, ""},
		{"exact ID with brackets", "api/users/[id]", []string{"api/users/[id]"}, ""},
		{"glob on the file", "**/*.py", []string{"api/py"}, ""},
		{"no match", "api/nothing", nil, `no function matches --only "api/nothing"`},
		{"bad pattern", "api/[", nil, "invalid --only pattern"},
	}
	for _, tt := range tests {
		t.Run(tt.description, func(t *testing.T) {
			pr := goldenProject(t)
			pr.p.Functions = pr.p.Functions[:3] // no standalone server
			sum, err := Run(context.Background(), Options{Project: pr.p, Runtimes: pr.rts, Only: tt.only})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range sum.Functions {
				got = append(got, f.ID)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("built %q, want %q", got, tt.want)
			}
			out := filepath.Join(pr.p.Root, ".vercel", "output")
			funcs, _ := filepath.Glob(filepath.Join(out, "functions", "api", "*.func"))
			users, _ := filepath.Glob(filepath.Join(out, "functions", "api", "users", "*.func"))
			if n := len(funcs) + len(users); n != len(tt.want) {
				t.Errorf("output has %d functions, want %d", n, len(tt.want))
			}
			var cfg outputConfig
			data, err := os.ReadFile(filepath.Join(out, configFile))
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(data, &cfg); err != nil {
				t.Fatal(err)
			}
			if len(cfg.Routes) != len(pr.p.Routes) {
				t.Errorf("config.json has %d routes, want all %d", len(cfg.Routes), len(pr.p.Routes))
			}
		})
	}
}

func TestRunArch(t *testing.T) {
	tests := []struct {
		description string
		flag        string
		config      string
		want        string
	}{
		{"default", "", "", "x86_64"},
		{"vercel.json", "", "arm64", "arm64"},
		{"flag wins over vercel.json", "x86_64", "arm64", "x86_64"},
		{"flag alone", "arm64", "x86_64", "arm64"},
	}
	for _, tt := range tests {
		t.Run(tt.description, func(t *testing.T) {
			p := testProject(t, map[string]string{"api/a.go": "package handler"}, fn("api/a.go"))
			p.Functions[0].Config.Architecture = tt.config
			f := &fakeRuntime{lang: runtimes.Go}
			sum, err := Run(context.Background(), Options{Project: p, Runtimes: goRuntimes(f), Arch: tt.flag})
			if err != nil {
				t.Fatal(err)
			}
			if got := f.requests()[0].Arch; got != tt.want {
				t.Errorf("runtime got arch %q, want %q", got, tt.want)
			}
			var vc vcConfig
			data, err := os.ReadFile(filepath.Join(sum.Functions[0].Dir, vcConfigFile))
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(data, &vc); err != nil || vc.Architecture != tt.want {
				t.Errorf(".vc-config.json architecture = %q (%v), want %q", vc.Architecture, err, tt.want)
			}
		})
	}
}

func TestRunNotMaterialised(t *testing.T) {
	tests := []struct {
		description string
		write       func(dir string) error
		wantErr     string
	}{
		{"absolute link", func(dir string) error { return os.Symlink("/etc/hosts", filepath.Join(dir, "hosts")) }, "absolute path"},
		{"escaping link", func(dir string) error { return os.Symlink("../../../../api/a.go", filepath.Join(dir, "src.go")) }, "links outside"},
		{"no bootstrap", func(dir string) error { return os.Remove(filepath.Join(dir, "bootstrap")) }, "bootstrap"},
		{"bootstrap not executable", func(dir string) error { return os.Chmod(filepath.Join(dir, "bootstrap"), 0o644) }, "not an executable"},
		{"inner link is fine", func(dir string) error { return os.Symlink("bootstrap", filepath.Join(dir, "alias")) }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.description, func(t *testing.T) {
			p := testProject(t, map[string]string{"api/a.go": "package handler"}, fn("api/a.go"))
			f := &fakeRuntime{lang: runtimes.Go, write: tt.write}
			_, err := Run(context.Background(), Options{Project: p, Runtimes: goRuntimes(f)})
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

func TestRunCacheDirAndEnv(t *testing.T) {
	p := threeFunctions(t)
	p.Config.BuildEnv = map[string]string{"CGO_ENABLED": "0", "A": "1"}
	ci := filepath.Join(t.TempDir(), "ci-cache")
	f := &fakeRuntime{lang: runtimes.Go}
	if _, err := Run(context.Background(), Options{Project: p, Runtimes: goRuntimes(f), CacheDir: ci, Env: []string{"A=2"}}); err != nil {
		t.Fatal(err)
	}
	req := f.requests()[0]
	want := []string{"GOCACHE=" + filepath.Join(ci, "go-build"), "GOMODCACHE=" + filepath.Join(ci, "go-mod"), "A=1", "CGO_ENABLED=0", "A=2"}
	if !slices.Equal(req.Env, want) {
		t.Errorf("Env = %q\nwant  %q", req.Env, want)
	}
	if req.CacheDir != ci {
		t.Errorf("CacheDir = %q, want %q", req.CacheDir, ci)
	}
	entries, _ := filepath.Glob(filepath.Join(ci, "build", "*", cacheArtifactFile))
	if len(entries) != 3 {
		t.Errorf("%d cache entries under %s, want 3", len(entries), ci)
	}
	if _, err := os.Stat(filepath.Join(p.Root, ".vercel", "cache")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the default cache dir was used too: %v", err)
	}

	// Default cache dir: Go's caches stay where the user has them.
	f2 := &fakeRuntime{lang: runtimes.Go}
	if _, err := Run(context.Background(), Options{Project: p, Runtimes: goRuntimes(f2), NoCache: true}); err != nil {
		t.Fatal(err)
	}
	for _, kv := range f2.requests()[0].Env {
		if strings.HasPrefix(kv, "GOCACHE=") {
			t.Errorf("default run set %s", kv)
		}
	}
}
