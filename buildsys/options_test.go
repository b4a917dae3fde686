package buildsys

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lambdalens/lambdalens/project"
	"github.com/lambdalens/lambdalens/runtimes"
)

func TestRunRejectsBadOptions(t *testing.T) {
	p := threeFunctions(t)
	writeFile(t, filepath.Join(p.Root, "notes", "todo.txt"), "mine")
	f := &fakeRuntime{lang: runtimes.Go}
	tests := []struct {
		description string
		opts        Options
		want        string
	}{
		{"bad arch", Options{Arch: "amd64"}, "invalid architecture"},
		{"no runtimes", Options{Runtimes: map[runtimes.Language]runtimes.Runtime{}}, "no runtimes"},
		{"missing language", Options{Runtimes: map[runtimes.Language]runtimes.Runtime{runtimes.Python: f}}, `no runtime for language "go"`},
		{"out over user files", Options{OutDir: "notes"}, "refusing to replace"},
		{"out is the project", Options{OutDir: "."}, "contains the project"},
		{"bad style", Options{Style: "fancy", Progress: &bytes.Buffer{}}, "unknown progress style"},
	}
	for _, tt := range tests {
		t.Run(tt.description, func(t *testing.T) {
			o := tt.opts
			o.Project = p
			if o.Runtimes == nil {
				o.Runtimes = goRuntimes(f)
			}
			if _, err := Run(context.Background(), o); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, want %q", err, tt.want)
			}
		})
	}
	if f.builds.Load() != 0 {
		t.Error("a rejected run built something")
	}
	if data, err := os.ReadFile(filepath.Join(p.Root, "notes", "todo.txt")); err != nil || string(data) != "mine" {
		t.Errorf("user file changed: %q, %v", data, err)
	}
}

func TestRunRejectsBadFunctions(t *testing.T) {
	tests := []struct {
		description string
		mutate      func(p *project.Project)
		want        string
	}{
		{"duplicate IDs", func(p *project.Project) { p.Functions[1].ID = "api/a" }, "another function has the output path functions/api/a.func"},
		{"escaping ID", func(p *project.Project) { p.Functions[0].ID = "../../evil" }, "not a clean relative path"},
		{"absolute ID", func(p *project.Project) { p.Functions[0].ID = "/abs" }, "not a clean relative path"},
		{"bad configured arch", func(p *project.Project) { p.Functions[2].Config.Architecture = "amd64" }, `invalid architecture "amd64"`},
	}
	for _, tt := range tests {
		t.Run(tt.description, func(t *testing.T) {
			p := threeFunctions(t)
			tt.mutate(p)
			f := &fakeRuntime{lang: runtimes.Go}
			_, err := Run(context.Background(), Options{Project: p, Runtimes: goRuntimes(f)})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, want %q", err, tt.want)
			}
			if f.builds.Load() != 0 {
				t.Error("built despite the bad function")
			}
		})
	}
}
