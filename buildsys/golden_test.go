package buildsys

import (
	"context"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lambdalens/lambdalens/project"
	"github.com/lambdalens/lambdalens/project/config"
	"github.com/lambdalens/lambdalens/project/routing"
	"github.com/lambdalens/lambdalens/runtimes"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

// goldenProject has one of each kind of function, every vercel.json
// setting that reaches .vc-config.json and cleanUrls, which adds
// "overrides" to config.json. (Its routes are given, not derived, so they
// lack cleanUrls' redirects.)
func goldenProject(t *testing.T) *projectWithRuntimes {
	hello, user, py, server := fn("api/hello.go"), fn("api/users/[id].go"), fn("api/py.py"), fn("main.go")
	user.Route.Src, user.Route.Dest = "^/api/users/([^/]+)$", "/api/users/[id]?id=$1"
	user.Route.Params = []routing.Param{{Name: "id"}}
	user.Config.Pattern = "api/users/*.go"
	user.Config.Architecture = "arm64"
	user.Config.Memory = 3009
	user.Config.MaxDurationMax = true
	user.Config.Regions = []string{"iad1", "fra1"}
	py.Config.Pattern = "api/*.py"
	py.Config.MaxDuration = 60
	server.ID, server.Entrypoint.Kind, server.Entrypoint.Package = "index", runtimes.KindServer, "main"
	p := testProject(t, map[string]string{
		"api/hello.go":      "package handler // hello",
		"api/users/[id].go": "package handler // user",
		"api/py.py":         "def handler(): pass",
		"main.go":           "package main",
		"public/index.html": "<h1>hi</h1>",
		"public/about.html": "<h1>about</h1>",
		"public/img/a.svg":  "<svg/>",
		"vercel.json":       "{}",
		"api/ignored/x.txt": "not a function",
	}, hello, user, py, server)
	three := 3.0
	p.Config = &config.Config{
		Path:      "vercel.json",
		CleanURLs: true,
		Functions: []config.FunctionRule{
			{
				Pattern: "api/users/*.go", Architecture: "arm64", Memory: 3009, MaxDurationMax: true, MaxConcurrency: 5,
				Regions: []string{"iad1", "fra1"}, FunctionFailoverRegions: []string{"sfo1"}, SupportsCancellation: true,
				Affinity:             &config.Affinity{Mode: "strict"},
				ExperimentalTriggers: []config.Trigger{{Type: "queue/v1beta", Topic: "users", Consumer: "sync", MaxDeliveries: &three}},
			},
			{Pattern: "api/*.py", MaxDuration: 60, ExperimentalTriggers: []config.Trigger{{Type: "queue/v2beta", Topic: "jobs"}}},
		},
	}
	p.PublicDir = "public"
	p.Routes = []routing.Route{
		{Src: "^/old$", Dest: "/new?a=1&b=2", Status: 308, Headers: map[string]string{"Location": "/new?a=1&b=2"}},
		{Handle: routing.PhaseFilesystem},
		{Src: "^/api/users/([^/]+)$", Dest: "/api/users/[id]?id=$1", Check: true},
		{Src: "^/api/hello$", Dest: "/api/hello"},
		{Src: "^/api/py$", Dest: "/api/py"},
		{Handle: routing.PhaseMiss},
		{Src: "^/api/(.*)$", Status: 404},
		{Src: "^/(.*)$", Dest: "/index"},
	}
	return &projectWithRuntimes{p: p, rts: map[runtimes.Language]runtimes.Runtime{
		runtimes.Go:     &fakeRuntime{lang: runtimes.Go},
		runtimes.Python: &fakeRuntime{lang: runtimes.Python},
	}}
}

func TestRunGolden(t *testing.T) {
	pr := goldenProject(t)
	// main.go is a standalone server: give it its own runtime flavour.
	pr.rts[runtimes.Go] = &serverAwareRuntime{fn: &fakeRuntime{lang: runtimes.Go}, srv: &fakeRuntime{lang: runtimes.Go, standalone: true}}
	sum, err := Run(context.Background(), Options{Project: pr.p, Runtimes: pr.rts, Zip: true, Jobs: 2})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	out := filepath.Join(pr.p.Root, ".vercel", "output")
	if sum.OutDir != out {
		t.Errorf("OutDir = %q, want %q", sum.OutDir, out)
	}
	golden := filepath.Join("testdata", "golden", "basic")
	got := map[string]string{"tree.txt": listTree(t, out)}
	err = filepath.WalkDir(out, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if name := d.Name(); name == configFile || name == vcConfigFile {
			rel, _ := filepath.Rel(out, p)
			data, err := os.ReadFile(p)
			got[filepath.ToSlash(rel)] = string(data)
			return err
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.RemoveAll(golden); err != nil {
			t.Fatal(err)
		}
		for name, body := range got {
			writeFile(t, filepath.Join(golden, filepath.FromSlash(name)), body)
		}
		return
	}
	want := map[string]string{}
	err = filepath.WalkDir(golden, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(golden, p)
		data, err := os.ReadFile(p)
		want[filepath.ToSlash(rel)] = string(data)
		return err
	})
	if err != nil {
		t.Fatalf("reading golden files (run with -update to create them): %v", err)
	}
	for name, w := range want {
		if g, ok := got[name]; !ok {
			t.Errorf("%s: missing from the output", name)
		} else if g != w {
			t.Errorf("%s differs from %s (run with -update to accept):\n--- got\n%s\n--- want\n%s", name, filepath.Join(golden, name), g, w)
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("%s: unexpected file in the output (run with -update to accept)", name)
		}
	}
}

// listTree lists the files under dir with their normalised modes, one a
// line, sorted.
func listTree(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		fmt.Fprintf(&b, "%s %v\n", filepath.ToSlash(rel), info.Mode().Perm()&0o755)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

type projectWithRuntimes struct {
	p   *project.Project
	rts map[runtimes.Language]runtimes.Runtime
}

// serverAwareRuntime sends standalone servers to srv and the rest to fn.
type serverAwareRuntime struct{ fn, srv *fakeRuntime }

func (s *serverAwareRuntime) pick(e runtimes.Entrypoint) *fakeRuntime {
	if e.Kind == runtimes.KindServer {
		return s.srv
	}
	return s.fn
}
func (s *serverAwareRuntime) Language() runtimes.Language { return runtimes.Go }
func (s *serverAwareRuntime) StartDev(ctx context.Context, r runtimes.DevRequest) (runtimes.DevProcess, error) {
	return s.fn.StartDev(ctx, r)
}
func (s *serverAwareRuntime) Inputs(ctx context.Context, r runtimes.InputsRequest) (runtimes.Inputs, error) {
	return s.fn.Inputs(ctx, r)
}
func (s *serverAwareRuntime) Build(ctx context.Context, r runtimes.BuildRequest) (*runtimes.Artifact, error) {
	return s.pick(r.Entrypoint).Build(ctx, r)
}
func (s *serverAwareRuntime) CacheKey(ctx context.Context, r runtimes.BuildRequest) (string, error) {
	return s.pick(r.Entrypoint).CacheKey(ctx, r)
}
