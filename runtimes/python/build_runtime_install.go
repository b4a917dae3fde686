package python

import (
	"bufio"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/lambdalens/lambdalens/runtimes/fileutil"
)

// Runtime install: a function whose dependencies come from uv.lock and do
// not fit in Lambda's 250 MB leaves some of its public packages (those of
// a package index) out of the zip, as Vercel does, and installs them at
// cold start with a uv binary shipped in the function:
//
//	_uv/uv                   uv for the target platform (uvRuntimeVersion)
//	_uv/_runtime_config.json {"projectDir": ".", "bundledPackages": [...]}
//
// The adapter (lambdalens_runtime.runtime_deps) runs `uv sync --frozen
// --inexact --no-install-project --no-install-package <bundled>...` for
// pyproject.toml and uv.lock into a venv under the temporary directory on
// the first invocation of a container, then adds its site-packages to
// sys.path. The function needs network access to the index at cold start.
const (
	// uvRuntimeVersion is the uv release shipped for runtime installs.
	uvRuntimeVersion = "0.13.9"
	// runtimeInstallBudget is what a runtime-install function is packed up
	// to, leaving room under the 250 MB limit.
	runtimeInstallBudget = 245 << 20
	// runtimeInstallDir holds uv and the config in the .func.
	runtimeInstallDir = "_uv"
	// runtimeInstallConfigFile is the config's name in runtimeInstallDir.
	runtimeInstallConfigFile = "_runtime_config.json"
)

// runtimeInstallConfig is _uv/_runtime_config.json.
type runtimeInstallConfig struct {
	// ProjectDir holds pyproject.toml and uv.lock, relative to the task
	// root.
	ProjectDir string `json:"projectDir"`
	// BundledPackages are in _vendor already; uv leaves them alone.
	BundledPackages []string `json:"bundledPackages"`
	// UVVersion is the version of _uv/uv.
	UVVersion string `json:"uvVersion"`
}

// distribution is one installed distribution of a _vendor directory.
type distribution struct {
	name  string   // normalized (PEP 503)
	files []string // its files, relative to _vendor, from RECORD
	size  int64
}

var nameSeparators = regexp.MustCompile(`[-_.]+`)

// normalizeName is PEP 503's normalized form of a distribution name.
func normalizeName(name string) string {
	return strings.ToLower(nameSeparators.ReplaceAllString(name, "-"))
}

// vendorDistributions lists the distributions installed in vendor, from
// their .dist-info/RECORD files; files RECORD places outside vendor
// (console scripts in ../bin) are left out.
func vendorDistributions(vendor string) ([]distribution, error) {
	entries, err := os.ReadDir(vendor)
	if err != nil {
		return nil, fmt.Errorf("listing the installed dependencies: %w", err)
	}
	var dists []distribution
	for _, e := range entries {
		base, ok := strings.CutSuffix(e.Name(), ".dist-info")
		if !ok || !e.IsDir() {
			continue
		}
		name, _, _ := strings.Cut(base, "-")
		d := distribution{name: normalizeName(name)}
		f, err := os.Open(filepath.Join(vendor, e.Name(), "RECORD"))
		if err != nil {
			return nil, fmt.Errorf("reading the files of %s: %w", name, err)
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			rel, _, _ := strings.Cut(sc.Text(), ",")
			rel = strings.Trim(rel, `"`)
			clean := filepath.Clean(filepath.FromSlash(rel))
			if rel == "" || filepath.IsAbs(clean) || clean == ".." || strings.HasPrefix(clean, ".."+string(filepath.Separator)) {
				continue
			}
			info, err := os.Lstat(filepath.Join(vendor, clean))
			if err != nil {
				continue // listed but not installed (a .pyc never written)
			}
			d.files = append(d.files, clean)
			d.size += info.Size()
		}
		f.Close()
		if err := sc.Err(); err != nil {
			return nil, fmt.Errorf("reading the files of %s: %w", name, err)
		}
		dists = append(dists, d)
	}
	return dists, nil
}

// uvLockPublic returns the normalized names of uv.lock's packages that
// come from a package index: the ones uv can install at cold start.
func uvLockPublic(b []byte) (map[string]bool, error) {
	lock, err := parseUVLock(b)
	if err != nil {
		return nil, err
	}
	public := map[string]bool{}
	for _, p := range lock.Package {
		if _, ok := p.Source["registry"]; ok {
			public[normalizeName(p.Name)] = true
		}
	}
	return public, nil
}

// splitBundle keeps in the zip every distribution that is not public and
// the smallest public ones while their total stays within budget; the
// other public ones are installed at cold start.
func splitBundle(dists []distribution, public map[string]bool, budget int64) (bundled, atRuntime []distribution) {
	var candidates []distribution
	for _, d := range dists {
		if public[d.name] {
			candidates = append(candidates, d)
		} else {
			bundled = append(bundled, d)
		}
	}
	slices.SortFunc(candidates, func(a, b distribution) int {
		return cmp.Or(cmp.Compare(a.size, b.size), strings.Compare(a.name, b.name))
	})
	var used int64
	for _, d := range candidates {
		if used+d.size <= budget {
			used += d.size
			bundled = append(bundled, d)
			continue
		}
		atRuntime = append(atRuntime, d)
	}
	return bundled, atRuntime
}

// runtimeInstall turns the .func in outDir, total bytes and over limit,
// into one that installs part of its dependencies at cold start: it
// removes the public distributions that do not fit from _vendor and adds
// uv and the config. It returns the names installed at cold start.
func (r *Runtime) runtimeInstall(ctx context.Context, req buildContext, total int64, tools buildTools, log *slog.Logger) ([]string, error) {
	if filepath.Dir(req.deps.uvLock) != req.deps.src.Dir {
		// A uv workspace member's lock is at the workspace root; the cold
		// start's `uv sync` is not set up for that: the size check decides.
		return nil, nil
	}
	lock, err := os.ReadFile(req.deps.uvLock)
	if err != nil {
		return nil, fmt.Errorf("reading uv.lock: %w", err)
	}
	public, err := uvLockPublic(lock)
	if err != nil {
		return nil, err
	}
	uvBin, err := r.runtimeUV(ctx, req, tools, log)
	if err != nil {
		return nil, err
	}
	uvInfo, err := os.Stat(uvBin)
	if err != nil {
		return nil, fmt.Errorf("shipping uv: %w", err)
	}
	vendor := filepath.Join(req.outDir, vendorDir)
	dists, err := vendorDistributions(vendor)
	if err != nil {
		return nil, err
	}
	var publicSize int64
	for _, d := range dists {
		if public[d.name] {
			publicSize += d.size
		}
	}
	budget := min(tools.runtimeInstallAbove, runtimeInstallBudget) - (total - publicSize) - uvInfo.Size() - 4096
	bundled, atRuntime := splitBundle(dists, public, budget)
	if len(atRuntime) == 0 {
		return nil, nil
	}
	var names []string
	for _, d := range atRuntime {
		for _, f := range d.files {
			if err := os.Remove(filepath.Join(vendor, f)); err != nil && !os.IsNotExist(err) {
				return nil, fmt.Errorf("leaving %s out of the function: %w", d.name, err)
			}
		}
		names = append(names, d.name)
	}
	if err := pruneEmptyDirs(vendor); err != nil {
		return nil, err
	}
	// The project uv syncs is the folder of pyproject.toml and uv.lock
	// ("api" for api/pyproject.toml), which the .func mirrors.
	projectDir := relToRoot(req.root, req.deps.src.Dir)
	cfg := runtimeInstallConfig{ProjectDir: projectDir, UVVersion: uvRuntimeVersion, BundledPackages: []string{}}
	for _, d := range bundled {
		cfg.BundledPackages = append(cfg.BundledPackages, d.name)
	}
	slices.Sort(cfg.BundledPackages)
	slices.Sort(names)
	dir := filepath.Join(req.outDir, runtimeInstallDir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("writing %s: %w", runtimeInstallDir, err)
	}
	b, _ := json.MarshalIndent(cfg, "", "  ")
	if err := os.WriteFile(filepath.Join(dir, runtimeInstallConfigFile), append(b, '\n'), 0o644); err != nil {
		return nil, fmt.Errorf("writing %s: %w", runtimeInstallConfigFile, err)
	}
	if err := copyExecutable(uvBin, filepath.Join(dir, "uv")); err != nil {
		return nil, fmt.Errorf("shipping uv: %w", err)
	}
	// pyproject.toml and uv.lock are project files, copied unless a
	// .vercelignore or excludeFiles left them out; uv needs both.
	for _, name := range []string{"pyproject.toml", "uv.lock"} {
		dst := filepath.Join(req.outDir, filepath.FromSlash(projectDir), name)
		if _, err := os.Stat(dst); err == nil {
			continue
		}
		if err := copyExecutable(filepath.Join(req.deps.src.Dir, name), dst); err != nil {
			return nil, fmt.Errorf("shipping %s for the runtime install: %w", name, err)
		}
	}
	return names, nil
}

// buildContext is what runtimeInstall needs of a build.
type buildContext struct {
	root, outDir string
	deps         *lambdaDeps
	target       pyTarget
	installer    installer
	env          []string
	cacheDir     string
}

// runtimeUV returns uv's binary for the build's target platform,
// installed from the package index with the build's installer and cached
// like dependencies.
func (r *Runtime) runtimeUV(ctx context.Context, req buildContext, tools buildTools, log *slog.Logger) (string, error) {
	h := sha256.New()
	fmt.Fprintf(h, "%s\nruntime uv %s\n%s\n%s\n%s\n", depsCacheFormat, uvRuntimeVersion, req.target.wheelArch, req.target.platformTag(), req.installer.name)
	key := "uv-" + hex.EncodeToString(h.Sum(nil))[:32]
	op := fmt.Sprintf("installing uv %s for %s", uvRuntimeVersion, req.target)
	deps := &lambdaDeps{src: &depSource{Name: "requirements.txt", Reqs: []string{"uv==" + uvRuntimeVersion}}}
	vendor, err := cachedVendor(ctx, req.cacheDir, key, log, func(ctx context.Context, target string) error {
		scratch := filepath.Join(filepath.Dir(target), "scratch")
		plan, err := planInstall(ctx, req.root, deps, req.target, req.installer, target, scratch, req.env)
		if err != nil {
			return fmt.Errorf("%s: %w", op, err)
		}
		if err := runInstall(ctx, plan, tools.run, op, req.target, log); err != nil {
			return err
		}
		return os.RemoveAll(scratch)
	})
	if err != nil {
		return "", err
	}
	bin := filepath.Join(vendor, "bin", "uv")
	if _, err := os.Stat(bin); err != nil {
		return "", fmt.Errorf("%s: the uv package installed no bin/uv: %w", op, err)
	}
	return bin, nil
}

// pruneEmptyDirs removes the directories under dir that are empty once
// their files are gone, deepest first.
func pruneEmptyDirs(dir string) error {
	var dirs []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && p != dir {
			dirs = append(dirs, p)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("tidying %s: %w", dir, err)
	}
	for i := len(dirs) - 1; i >= 0; i-- {
		if entries, err := os.ReadDir(dirs[i]); err == nil && len(entries) == 0 {
			if err := os.Remove(dirs[i]); err != nil {
				return fmt.Errorf("tidying %s: %w", dir, err)
			}
		}
	}
	return nil
}

// copyExecutable copies src to dst with src's permissions.
func copyExecutable(src, dst string) error {
	info, err := os.Stat(src)
	if err != nil {
		return err
	}
	return fileutil.CopyFile(dst, src, info.Mode().Perm())
}
