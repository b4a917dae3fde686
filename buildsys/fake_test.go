package buildsys

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lambdalens/lambdalens/project"
	"github.com/lambdalens/lambdalens/project/config"
	"github.com/lambdalens/lambdalens/project/routing"
	"github.com/lambdalens/lambdalens/runtimes"
)

// fakeRuntime is a runtimes.Runtime that never runs a compiler: Build
// writes a "binary" derived from the source and counts itself.
type fakeRuntime struct {
	lang runtimes.Language
	// hold, when set, makes Build block until it is closed (or ctx ends).
	hold chan struct{}
	// standalone makes Go builds look like Go standalone servers.
	standalone bool
	// write, when set, runs after the normal files are written, to plant
	// odd files in OutDir.
	write func(outDir string) error

	builds   atomic.Int64
	inFlight atomic.Int64
	maxIn    atomic.Int64

	mu   sync.Mutex
	reqs []runtimes.BuildRequest
}

var _ runtimes.Runtime = (*fakeRuntime)(nil)

func (f *fakeRuntime) Language() runtimes.Language { return f.lang }

func (f *fakeRuntime) StartDev(context.Context, runtimes.DevRequest) (runtimes.DevProcess, error) {
	return nil, errors.ErrUnsupported
}

func (f *fakeRuntime) Inputs(context.Context, runtimes.InputsRequest) (runtimes.Inputs, error) {
	return runtimes.Inputs{}, errors.ErrUnsupported
}

// Build fails with a *runtimes.BuildError when the source contains a line
// "FAIL <line>:<col> <message>"; the diagnostic points there.
func (f *fakeRuntime) Build(ctx context.Context, req runtimes.BuildRequest) (*runtimes.Artifact, error) {
	f.builds.Add(1)
	n := f.inFlight.Add(1)
	defer f.inFlight.Add(-1)
	for {
		m := f.maxIn.Load()
		if n <= m || f.maxIn.CompareAndSwap(m, n) {
			break
		}
	}
	f.mu.Lock()
	f.reqs = append(f.reqs, req)
	f.mu.Unlock()
	if f.hold != nil {
		select {
		case <-f.hold:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	src, err := os.ReadFile(filepath.Join(req.Root, filepath.FromSlash(req.File)))
	if err != nil {
		return nil, err
	}
	for _, line := range strings.Split(string(src), "\n") {
		if rest, ok := strings.CutPrefix(line, "FAIL "); ok {
			pos, msg, _ := strings.Cut(rest, " ")
			var l, c int
			_, _ = fmt.Sscanf(pos, "%d:%d", &l, &c)
			return nil, &runtimes.BuildError{
				Op:     "building " + req.File + " for linux/" + goarch(req.Arch),
				Output: req.File + ":" + pos + ": " + msg,
				Err:    errors.New("exit status 1"),
				Diagnostics: []runtimes.Diagnostic{{
					File: req.File, Severity: runtimes.SeverityError, Code: "go-compile", Message: msg,
					Range: runtimes.Range{Start: runtimes.Position{Line: l, Column: c}},
				}},
			}
		}
	}
	bin := []byte("binary(" + req.Arch + ")\n" + string(src))
	switch {
	case f.lang == runtimes.Python:
		if err := os.WriteFile(filepath.Join(req.OutDir, "vc__handler__python.py"), src, 0o644); err != nil {
			return nil, err
		}
		if err := os.MkdirAll(filepath.Join(req.OutDir, "_vendor", "bin"), 0o755); err != nil {
			return nil, err
		}
		if err := os.WriteFile(filepath.Join(req.OutDir, "_vendor", "bin", "tool"), []byte("#!/bin/sh\n"), 0o755); err != nil {
			return nil, err
		}
	case f.standalone:
		for _, name := range []string{"executable", "user-server"} {
			if err := os.WriteFile(filepath.Join(req.OutDir, name), bin, 0o755); err != nil {
				return nil, err
			}
		}
	default:
		if err := os.WriteFile(filepath.Join(req.OutDir, "bootstrap"), bin, 0o755); err != nil {
			return nil, err
		}
	}
	if f.write != nil {
		if err := f.write(req.OutDir); err != nil {
			return nil, err
		}
	}
	return f.artifact(req.Arch), nil
}

func (f *fakeRuntime) artifact(arch string) *runtimes.Artifact {
	switch {
	case f.lang == runtimes.Python:
		return &runtimes.Artifact{Handler: "vc__handler__python.vc_handler", Runtime: "python3.12", RuntimeLanguage: "python",
			Architecture: arch, Environment: map[string]string{"PYTHONPATH": "_vendor", "PYTHONDONTWRITEBYTECODE": "1"},
			SupportsResponseStreaming: true}
	case f.standalone:
		return &runtimes.Artifact{Handler: "executable", Runtime: "executable", RuntimeLanguage: "go", Architecture: arch,
			SupportsResponseStreaming: true}
	}
	return &runtimes.Artifact{Handler: "bootstrap", Runtime: "provided.al2023", RuntimeLanguage: "go", Architecture: arch,
		SupportsWrapper: true}
}

// CacheKey hashes the source, the arch and the include globs. It fails,
// naming the file as the real runtimes do, when the source contains a line
// "KEYFAIL <message>".
func (f *fakeRuntime) CacheKey(ctx context.Context, req runtimes.BuildRequest) (string, error) {
	op := "computing the cache key of " + req.File
	if req.OutDir != "" {
		return "", fmt.Errorf("%s: CacheKey got an OutDir", op)
	}
	src, err := os.ReadFile(filepath.Join(req.Root, filepath.FromSlash(req.File)))
	if err != nil {
		return "", fmt.Errorf("%s: %w", op, err)
	}
	for _, line := range strings.Split(string(src), "\n") {
		if msg, ok := strings.CutPrefix(line, "KEYFAIL "); ok {
			return "", fmt.Errorf("%s: %s", op, msg)
		}
	}
	h := sha256.New()
	h.Write(src)
	h.Write([]byte(req.Arch + strings.Join(req.IncludeFiles, ",")))
	return hex.EncodeToString(h.Sum(nil)), nil
}

func (f *fakeRuntime) requests() []runtimes.BuildRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.reqs)
}

// testProject writes files into a temporary project and returns a model of
// it with one function per entry of fns.
func testProject(t *testing.T, files map[string]string, fns ...*project.Function) *project.Project {
	t.Helper()
	root := t.TempDir()
	for name, body := range files {
		writeFile(t, filepath.Join(root, filepath.FromSlash(name)), body)
	}
	p := &project.Project{Root: root, Config: &config.Config{}, Functions: fns, Diagnostics: []runtimes.Diagnostic{}}
	for _, fn := range fns {
		p.Routes = append(p.Routes, routing.Route{Src: fn.Route.Src, Dest: fn.Route.Dest, Check: fn.Route.Dynamic()})
	}
	return p
}

// fn makes a function model for file: a Go function under api/ unless the
// extension says Python.
func fn(file string) *project.Function {
	id := strings.TrimSuffix(strings.TrimSuffix(file, ".go"), ".py")
	lang := runtimes.Go
	if strings.HasSuffix(file, ".py") {
		lang = runtimes.Python
	}
	return &project.Function{
		ID:         id,
		File:       file,
		Entrypoint: runtimes.Entrypoint{Language: lang, Kind: runtimes.KindFunction, Package: "handler", Symbol: "Handler"},
		Route:      routing.FileRoute{ID: id, Pattern: "/" + id, Src: "^/" + id + "$", Dest: "/" + id},
		Config: project.FunctionConfig{
			Memory: project.DefaultMemory, MaxDuration: project.DefaultMaxDuration, Architecture: project.DefaultArchitecture,
		},
	}
}

func writeFile(t *testing.T, path, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}
