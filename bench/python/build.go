package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/lambdalens/lambdalens/bench/internal/benchkit"
)

var buildScenarios = []string{"cold", "warm", "no-op"}

// buildTool is one builder of the Python project, on its own copy.
type buildTool struct {
	name string
	// prepare readies a scenario (emptying caches).
	prepare func(scenario string) error
	// cmd returns the build command.
	cmd func(ctx context.Context) *exec.Cmd
	// bundle sizes the last build's function: bytes and files.
	bundle func() (int64, int, error)
	times  map[string][]time.Duration
	err    error
	note   string
}

// benchBuild times the build scenarios for lambdalens and, when it is
// installed, vercel build, alternating the two, and prints the results. A
// tool that fails is reported with its output and left out of later runs.
func benchBuild(ctx context.Context, o options, in *interpreter, bin, src, venv, work string) {
	fmt.Printf("## build: %s\n\n", buildExample)
	tools := []*buildTool{lambdalensBuild(bin, src, venv, filepath.Join(work, "lambdalens"))}
	if o.vercel != "off" {
		vt, err := vercelBuild(ctx, in, src, filepath.Join(work, "vercel"))
		if err != nil {
			tools = append(tools, &buildTool{name: "vercel build", err: err})
		} else {
			tools = append(tools, vt)
		}
	}
	for _, sc := range buildScenarios {
		for i := range o.buildRuns {
			for _, t := range tools {
				if t.err != nil {
					continue
				}
				fmt.Fprintf(os.Stderr, "bench/python: build, %s, %s, run %d/%d\n", t.name, sc, i+1, o.buildRuns)
				if err := t.prepare(sc); err != nil {
					t.err = fmt.Errorf("%s: %w", sc, err)
					continue
				}
				d, err := benchkit.Timed(t.cmd(ctx))
				if err != nil {
					t.err = fmt.Errorf("%s: %w", sc, err)
					continue
				}
				t.times[sc] = append(t.times[sc], d)
			}
		}
	}

	fmt.Printf("Runs per scenario: %d; medians. cold: every cache empty (fresh pip/uv caches, so packages come from PyPI); warm: pip/uv caches warm, the tool's own build state empty (lambdalens: build cache and installed dependencies; vercel: .vercel/python and .vercel/output); no-op: nothing changed.\n\n", o.buildRuns)
	fmt.Print("| scenario |")
	for _, t := range tools {
		fmt.Printf(" %s | min–max |", t.name)
	}
	fmt.Println()
	fmt.Print("|---|")
	for range tools {
		fmt.Print("---:|---:|")
	}
	fmt.Println()
	for _, sc := range buildScenarios {
		fmt.Printf("| %s |", sc)
		for _, t := range tools {
			ds := t.times[sc]
			if len(ds) == 0 {
				fmt.Print(" failed | |")
				continue
			}
			fmt.Printf(" %s | %s |", benchkit.Ms(benchkit.Median(ds)), benchkit.Spread(ds))
		}
		fmt.Println()
	}
	fmt.Println()
	for _, t := range tools {
		if t.err != nil {
			fmt.Printf("- %s failed:\n\n", t.name)
			fmt.Printf("      %s\n\n", strings.ReplaceAll(strings.TrimSpace(t.err.Error()), "\n", "\n      "))
			continue
		}
		if t.note != "" {
			fmt.Printf("- %s: %s\n", t.name, t.note)
		}
		size, files, err := t.bundle()
		if err != nil {
			fmt.Printf("- %s bundle: %v\n", t.name, err)
			continue
		}
		fmt.Printf("- %s bundle: %s in %d files\n", t.name, benchkit.MB(size), files)
	}
}

func lambdalensBuild(bin, src, venv, work string) *buildTool {
	dir := filepath.Join(work, "project")
	cache := filepath.Join(work, "cache")
	t := &buildTool{name: "lambdalens", times: map[string][]time.Duration{}}
	t.prepare = func(sc string) error {
		switch sc {
		case "cold":
			benchkit.RemoveAll(work)
			return benchkit.CopyTree(src, dir)
		case "warm":
			// Keep pip's and uv's caches; drop lambdalens's build cache and
			// its installed dependencies (<cache>/python/deps).
			benchkit.RemoveAll(filepath.Join(cache, "build"))
			benchkit.RemoveAll(filepath.Join(cache, "python"))
			benchkit.RemoveAll(filepath.Join(dir, ".vercel"))
		}
		return nil
	}
	t.cmd = func(ctx context.Context) *exec.Cmd {
		cmd := exec.CommandContext(ctx, bin, "build", dir, "--cache-dir", cache)
		// pip's and uv's own caches live in the run's cache folder too, so
		// that cold starts empty.
		cmd.Env = venvEnv(venv, "PIP_CACHE_DIR="+filepath.Join(cache, "pip-cache"), "UV_CACHE_DIR="+filepath.Join(cache, "uv-cache"))
		return cmd
	}
	t.bundle = func() (int64, int, error) {
		return benchkit.DirSize(filepath.Join(dir, ".vercel", "output", "functions"))
	}
	return t
}

// vercelBuild runs `vercel build --yes` with framework "fastapi", uv on
// PATH and a .python-version naming the interpreter's version (it needs
// Python ≥ 3.12 for its vercel-runtime package).
func vercelBuild(ctx context.Context, in *interpreter, src, work string) (*buildTool, error) {
	v, err := benchkit.FindVercel()
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(v.UVBin, "uv")); err != nil {
		return nil, fmt.Errorf("uv is not installed (run bench/vercel-setup.sh): %w", err)
	}
	dir := filepath.Join(work, "project")
	cache := filepath.Join(work, "cache")
	t := &buildTool{name: "vercel build", times: map[string][]time.Duration{}}
	if out, err := exec.CommandContext(ctx, v.Bin, "--version").CombinedOutput(); err == nil {
		version, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
		t.note = version + "; it writes pyproject.toml and uv.lock into the project on its first build"
	}
	t.prepare = func(sc string) error {
		switch sc {
		case "cold":
			// A fresh copy: the previous build wrote pyproject.toml and
			// uv.lock into the project.
			benchkit.RemoveAll(work)
			if err := benchkit.CopyTree(src, dir); err != nil {
				return err
			}
			if err := os.MkdirAll(filepath.Join(dir, ".vercel"), 0o755); err != nil {
				return err
			}
			if err := os.WriteFile(filepath.Join(dir, ".vercel", "project.json"), []byte(`{"projectId":"prj_lambdalensbench","orgId":"team_lambdalensbench","settings":{"framework":"fastapi"}}`+"\n"), 0o644); err != nil {
				return err
			}
			return os.WriteFile(filepath.Join(dir, ".python-version"), []byte(in.minor()+"\n"), 0o644)
		case "warm":
			benchkit.RemoveAll(filepath.Join(dir, ".vercel", "output"))
			benchkit.RemoveAll(filepath.Join(dir, ".vercel", "python"))
		}
		return os.MkdirAll(filepath.Join(cache, "tmp"), 0o755)
	}
	t.cmd = func(ctx context.Context) *exec.Cmd {
		cmd := exec.CommandContext(ctx, v.Bin, "build", "--yes")
		cmd.Dir = dir
		cmd.Env = v.Env(filepath.Join(work, "state"),
			"PATH="+filepath.Dir(in.path)+string(os.PathListSeparator)+v.UVBin+string(os.PathListSeparator)+os.Getenv("PATH"),
			"UV_CACHE_DIR="+filepath.Join(cache, "uv"),
			"PIP_CACHE_DIR="+filepath.Join(cache, "pip"),
			"TMPDIR="+filepath.Join(cache, "tmp"),
		)
		return cmd
	}
	t.bundle = func() (int64, int, error) { return vercelBundle(dir) }
	return t, nil
}

// vercelBundle sums the files each .vc-config.json maps into its function
// (Vercel leaves the dependencies in .vercel/python and lists them in
// filePathMap) plus the files inside the .func folders.
func vercelBundle(dir string) (int64, int, error) {
	funcs := filepath.Join(dir, ".vercel", "output", "functions")
	total, files, err := benchkit.DirSize(funcs)
	if err != nil {
		return 0, 0, err
	}
	err = benchkit.WalkVCConfigs(funcs, func(_ string, cfg benchkit.VCConfig) error {
		for _, p := range cfg.FilePathMap {
			if !filepath.IsAbs(p) {
				p = filepath.Join(dir, p)
			}
			st, err := os.Stat(p)
			if err != nil {
				return err
			}
			total += st.Size()
			files++
		}
		return nil
	})
	return total, files, err
}
