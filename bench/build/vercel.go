package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/lambdalens/lambdalens/bench/internal/benchkit"
)

// vercelBuild runs `vercel build --yes` the way
// /work/shared/reference/vercel-cli-offline.md describes: a local
// .vercel/project.json, GOPROXY pointing at the file:// proxy that
// bench/vercel-setup.sh filled with go-bridge, telemetry off. GOCACHE,
// GOMODCACHE and TMPDIR (where it leaves the bootstraps) live in the run's
// scratch folder, so that "cold" really starts empty.
type vercelBuild struct {
	v                *benchkit.Vercel
	version          string
	dir, cache, tmp  string
	state            string
	edit             *benchkit.Editor
	lastOutputSample string
}

const vercelProjectJSON = `{"projectId":"prj_lambdalensbench","orgId":"team_lambdalensbench","settings":{"framework":null}}` + "\n"

func newVercel(ctx context.Context, src, work string, o options) (*vercelBuild, error) {
	v, err := benchkit.FindVercel()
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(work, "project")
	if err := benchkit.CopyTree(src, dir); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(dir, ".vercel"), 0o755); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, ".vercel", "project.json"), []byte(vercelProjectJSON), 0o644); err != nil {
		return nil, err
	}
	edit, err := benchkit.NewEditor(filepath.Join(dir, o.editFile), o.editMarker, false)
	if err != nil {
		return nil, err
	}
	vb := &vercelBuild{v: v, dir: dir, cache: filepath.Join(work, "cache"), tmp: filepath.Join(work, "tmp"), state: filepath.Join(work, "state"), edit: edit}
	if out, err := exec.CommandContext(ctx, v.Bin, "--version").CombinedOutput(); err == nil {
		vb.version, _, _ = strings.Cut(strings.TrimSpace(string(out)), "\n")
	}
	return vb, nil
}

func (vb *vercelBuild) name() string { return "vercel build" }

func (vb *vercelBuild) run(ctx context.Context, scenario, tag string) (time.Duration, error) {
	switch scenario {
	case "cold":
		benchkit.RemoveAll(vb.cache)
		benchkit.RemoveAll(vb.tmp)
		benchkit.RemoveAll(filepath.Join(vb.dir, ".vercel", "output"))
		benchkit.RemoveAll(filepath.Join(vb.dir, ".vercel", "cache"))
	case "warm":
		benchkit.RemoveAll(vb.tmp)
		benchkit.RemoveAll(filepath.Join(vb.dir, ".vercel", "output"))
		benchkit.RemoveAll(filepath.Join(vb.dir, ".vercel", "cache"))
	case "one file changed":
		if err := vb.edit.Write(tag); err != nil {
			return 0, err
		}
	}
	if err := os.MkdirAll(vb.tmp, 0o755); err != nil {
		return 0, err
	}
	cmd := exec.CommandContext(ctx, vb.v.Bin, "build", "--yes")
	cmd.Dir = vb.dir
	cmd.Env = vb.v.Env(vb.state,
		"GOPROXY=file://"+vb.v.GoProxy,
		"GOCACHE="+filepath.Join(vb.cache, "go-build"),
		"GOMODCACHE="+filepath.Join(vb.cache, "go-mod"),
		"GOFLAGS=-modcacherw",
		"TMPDIR="+vb.tmp,
	)
	return benchkit.Timed(cmd)
}

func (vb *vercelBuild) note() string {
	return vb.version + "; it rebuilds every function on every run (no build cache for Go)"
}

// sizes follows each .vc-config.json to the bootstrap it names: Vercel
// leaves them outside the output folder (in TMPDIR) unless --standalone.
func (vb *vercelBuild) sizes() (sizeReport, error) {
	funcs := filepath.Join(vb.dir, ".vercel", "output", "functions")
	var boots []string
	err := benchkit.WalkVCConfigs(funcs, func(path string, cfg benchkit.VCConfig) error {
		boot := filepath.Join(filepath.Dir(path), cfg.Handler)
		if mapped, ok := cfg.FilePathMap[cfg.Handler]; ok {
			boot = mapped
			if !filepath.IsAbs(boot) {
				boot = filepath.Join(vb.dir, boot)
			}
		}
		boots = append(boots, boot)
		return nil
	})
	if err != nil {
		return sizeReport{}, err
	}
	return measure(boots, funcs)
}
