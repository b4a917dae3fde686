package python

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/lambdalens/lambdalens/runtimes/fileutil"

	"github.com/BurntSushi/toml"
)

// lambdaDeps is what a Lambda build installs into _vendor, and a dev
// process's managed venv too.
type lambdaDeps struct {
	// src is the dependency declaration, found as for dev processes
	// (findDeps): the nearest one from the entrypoint's directory up to
	// the root; in a directory, pyproject.toml [project.dependencies],
	// Pipfile.lock, Pipfile or a requirements file, in that order.
	src *depSource
	// uvLock is the uv.lock next to pyproject.toml, when src is it, or
	// else the one at the root of the uv workspace whose member src is.
	// The install is then frozen: exactly the locked versions.
	uvLock string
	// pylock is the pylock.toml next to pyproject.toml when src is it and
	// there is no uv.lock: the install is frozen to it too.
	pylock string
	// files are every file whose content decides the install: src.Files,
	// the lock and the files requirements.txt includes with -r or -c.
	files []string
}

// describe names the declaration and the lock that holds it:
// "requirements.txt", "pyproject.toml (held to uv.lock)".
func (d *lambdaDeps) describe() string {
	switch {
	case d.uvLock != "":
		return d.src.Name + " (held to uv.lock)"
	case d.pylock != "":
		return d.src.Name + " (held to " + pylockFile + ")"
	}
	return d.src.Name
}

// frozen reports whether the install is exactly a lock file's set.
func (d *lambdaDeps) frozen() bool { return d.uvLock != "" || d.pylock != "" }

// pylockRequirements reads pylock.toml: the complete set to install with
// --no-deps, and whether every package in it has hashes. Relative paths
// in it are relative to its directory.
func (d *lambdaDeps) pylockRequirements() (reqs []string, hashed bool, err error) {
	b, err := os.ReadFile(d.pylock)
	if err != nil {
		return nil, false, fmt.Errorf("reading %s: %w", pylockFile, err)
	}
	return pylockRequirements(b, filepath.Dir(d.pylock))
}

// uvLockPins reads uv.lock: the constraints that hold pip to its versions
// and the package indexes besides PyPI they come from.
func (d *lambdaDeps) uvLockPins() (pins, indexes []string, err error) {
	b, err := os.ReadFile(d.uvLock)
	if err != nil {
		return nil, nil, fmt.Errorf("reading uv.lock: %w", err)
	}
	return uvLockPins(b)
}

// findLambdaDeps returns the dependencies of a function whose entrypoint
// is in dir (slash-separated, relative to root; see findDeps), or nil
// when it declares none.
func findLambdaDeps(root, dir string) (*lambdaDeps, error) {
	src, err := findDeps(root, dir)
	if err != nil || src == nil {
		return nil, err
	}
	d := &lambdaDeps{src: src, files: slices.Clone(src.Files)}
	if path.Base(src.Name) == "pyproject.toml" {
		lock := filepath.Join(src.Dir, "uv.lock")
		pylock := filepath.Join(src.Dir, pylockFile)
		if _, err := os.Stat(lock); err == nil {
			d.uvLock = lock
			d.files = append(d.files, lock)
		} else if _, err := os.Stat(pylock); err == nil {
			d.pylock = pylock
			d.files = append(d.files, pylock)
		} else if lock, err := workspaceLock(root, src.Dir); err != nil {
			return nil, err
		} else if lock != "" {
			d.uvLock = lock
			d.files = append(d.files, lock)
		}
	}
	if src.ReqFile != "" {
		inc, err := requirementIncludes(src.ReqFile)
		if err != nil {
			return nil, err
		}
		d.files = append(d.files, inc...)
	}
	return d, nil
}

// workspaceLock returns the uv.lock of the uv workspace whose members
// include the project in dir (absolute, under root), or "": uv locks a
// workspace in one uv.lock at its root, and `uv export` run in a member's
// folder exports that member's part of it.
func workspaceLock(root, dir string) (string, error) {
	rel, err := filepath.Rel(root, dir)
	if err != nil || rel == "." || strings.HasPrefix(rel, "..") {
		return "", nil
	}
	ws, err := findUVWorkspace(root, filepath.ToSlash(rel))
	if err != nil || ws == nil {
		return "", err
	}
	lock := filepath.Join(ws.dir, "uv.lock")
	if _, err := os.Stat(lock); err != nil {
		return "", nil
	}
	return lock, nil
}

// maxRequirementIncludes bounds how many files -r/-c includes may pull in.
const maxRequirementIncludes = 64

// requirementIncludes returns the files a requirements file includes with
// -r/--requirement and -c/--constraint, transitively, relative to the
// including file. A missing file is an error, as it is for pip.
func requirementIncludes(reqFile string) ([]string, error) {
	seen := map[string]bool{reqFile: true}
	var out []string
	queue := []string{reqFile}
	for len(queue) > 0 {
		f := queue[0]
		queue = queue[1:]
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", f, err)
		}
		for _, inc := range requirementIncludeLines(b) {
			p := inc.name
			if !filepath.IsAbs(p) {
				p = filepath.Join(filepath.Dir(f), filepath.FromSlash(inc.name))
			}
			if seen[p] {
				continue
			}
			if _, err := os.Stat(p); err != nil {
				name := filepath.Base(f)
				if rel, rerr := filepath.Rel(filepath.Dir(reqFile), f); rerr == nil {
					name = filepath.ToSlash(rel)
				}
				return nil, fmt.Errorf("%s:%d: %s %s: %w; create it or remove the line", name, inc.line, inc.opt, inc.name, err)
			}
			if len(seen) > maxRequirementIncludes {
				return nil, fmt.Errorf("%s includes more than %d files", filepath.Base(reqFile), maxRequirementIncludes)
			}
			seen[p] = true
			out = append(out, p)
			queue = append(queue, p)
		}
	}
	return out, nil
}

// parseRequirementIncludes returns the file names of the -r and -c lines
// of a requirements file ("-r base.txt", "--requirement=base.txt",
// "-cconstraints.txt"). URLs are not files and are left out.
func parseRequirementIncludes(b []byte) []string {
	var out []string
	for _, inc := range requirementIncludeLines(b) {
		out = append(out, inc.name)
	}
	return out
}

// requirementInclude is one -r or -c line: its option as written, the file
// it names and its line number.
type requirementInclude struct {
	opt, name string
	line      int
}

func requirementIncludeLines(b []byte) []requirementInclude {
	var out []requirementInclude
	for _, l := range requirementLines(b) {
		line := strings.TrimSpace(l.text)
		if i := strings.Index(line, " #"); i >= 0 {
			line = strings.TrimSpace(line[:i])
		}
		var rest, used string
		for _, opt := range []string{"--requirement", "--constraint", "-r", "-c"} {
			if after, ok := strings.CutPrefix(line, opt); ok {
				if strings.HasPrefix(opt, "--") && after != "" && after[0] != '=' && after[0] != ' ' && after[0] != '\t' {
					continue // --requirementsfoo is not an option
				}
				rest, used = strings.TrimLeft(after, "= \t"), opt
				break
			}
		}
		if rest == "" || strings.Contains(rest, "://") {
			continue
		}
		out = append(out, requirementInclude{opt: used, name: rest, line: l.n})
	}
	return out
}

// uvLock is what lambdalens reads of a uv.lock: its packages.
type uvLock struct {
	Package []struct {
		Name              string         `toml:"name"`
		Version           string         `toml:"version"`
		Source            map[string]any `toml:"source"`
		ResolutionMarkers []string       `toml:"resolution-markers"`
	} `toml:"package"`
}

func parseUVLock(b []byte) (*uvLock, error) {
	var lock uvLock
	if err := toml.Unmarshal(b, &lock); err != nil {
		return nil, fmt.Errorf("reading uv.lock: %w", err)
	}
	return &lock, nil
}

// uvLockPins returns "name==version" for every package of a uv.lock that
// comes from a package index: the constraints that make pip install what
// the lock says when uv is not available. A lock that forks (numpy 2.0.2
// for Python 3.9, 2.2.6 above) has a package more than once, each with
// the resolution-markers of its fork: those pins carry the markers, for
// pip to evaluate; a version without markers among several is left
// unpinned rather than contradicting the others. indexes are the package
// indexes other than PyPI's that pinned packages come from (uv's PyTorch
// CPU index locks torch 2.5.1+cpu there), to pass as extra index URLs:
// the pins could not be met from PyPI alone.
func uvLockPins(b []byte) (pins, indexes []string, err error) {
	lock, err := parseUVLock(b)
	if err != nil {
		return nil, nil, err
	}
	versions := map[string]int{}
	for _, p := range lock.Package {
		versions[p.Name]++
	}
	for _, p := range lock.Package {
		registry, ok := p.Source["registry"]
		if !ok || p.Name == "" || p.Version == "" {
			continue
		}
		if url, _ := registry.(string); url != "" && !isPyPI(url) && !slices.Contains(indexes, url) {
			indexes = append(indexes, url)
		}
		pin := p.Name + "==" + p.Version
		if versions[p.Name] > 1 {
			if len(p.ResolutionMarkers) == 0 {
				continue
			}
			pin += " ; (" + strings.Join(p.ResolutionMarkers, ") or (") + ")"
		}
		pins = append(pins, pin)
	}
	slices.Sort(pins)
	slices.Sort(indexes)
	return pins, indexes, nil
}

// isPyPI reports whether an index URL is PyPI's simple index, which pip
// and uv use by default.
func isPyPI(url string) bool {
	u := strings.TrimSuffix(strings.ToLower(url), "/")
	return u == "https://pypi.org/simple" || u == "https://pypi.python.org/simple"
}

// indexArgs are the installer arguments that add extra package indexes.
func indexArgs(indexes []string) []string {
	var args []string
	for _, u := range indexes {
		args = append(args, "--extra-index-url", u)
	}
	return args
}

// depsCacheFormat changes whenever the layout of a dependency cache entry
// or the way it is filled changes.
const depsCacheFormat = "lambdalens python deps 3"

// indexEnv are the installer environment variables that change where
// packages come from: another index can serve other files for the same
// requirements.
var indexEnv = []string{
	"PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_FIND_LINKS", "PIP_NO_INDEX",
	"UV_INDEX_URL", "UV_EXTRA_INDEX_URL", "UV_FIND_LINKS", "UV_NO_INDEX",
	"UV_INDEX", "UV_DEFAULT_INDEX",
}

// hashIndexEnv writes the index settings of env (see indexEnv) to h.
func hashIndexEnv(h io.Writer, env []string) {
	for _, k := range indexEnv {
		if v := getenv(env, k); v != "" {
			fmt.Fprintf(h, "env %s=%q\n", k, v)
		}
	}
}

// depsKey identifies one install: the dependency files' names and
// contents, the target, the installer and the index settings of env,
// the installers' environment.
func depsKey(root string, d *lambdaDeps, t pyTarget, installer string, env []string) (string, error) {
	h := sha256.New()
	fmt.Fprintf(h, "%s\n%s\n%s\n%s\n%s\n", depsCacheFormat, t.version, t.wheelArch, t.platformTag(), installer)
	hashIndexEnv(h, env)
	fmt.Fprintf(h, "source %s uv.lock=%t pylock=%t\n", d.src.Name, d.uvLock != "", d.pylock != "")
	for _, r := range d.src.Reqs {
		fmt.Fprintf(h, "req %q\n", r)
	}
	// Local paths the requirements point to (a wheel, a package's
	// folder, --find-links) are installed from too; the installers run in
	// the declaration's directory.
	local := localRequirementPaths(d.src.Reqs, d.src.Dir)
	for _, f := range d.files {
		b, err := os.ReadFile(f)
		if err != nil {
			return "", fmt.Errorf("hashing %s: %w", f, err)
		}
		fmt.Fprintf(h, "file %s %d\n", relToRoot(root, f), len(b))
		h.Write(b)
		if d.src.ReqFile != "" {
			// requirements.txt and its -r/-c includes (d.files then has
			// nothing else); other sources' local paths are in src.Reqs.
			local = append(local, localRequirementPaths(requirementTexts(b), filepath.Dir(f))...)
		}
	}
	if err := hashLocalPaths(h, root, local); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil))[:32], nil
}

const (
	// depsCompleteMarker is written last into a cache entry; an entry
	// without it is never used.
	depsCompleteMarker = "lambdalens-complete"
	// depsCacheSubdir is the entries' parent under the cache directory.
	depsCacheSubdir = "python/deps"
)

// depsLocks serialises installs of one cache entry within this process
// (the functions of a project build concurrently and share their
// dependencies). Values are chan struct{} of capacity 1, so that waiting
// honours the context.
var depsLocks sync.Map

func lockDeps(ctx context.Context, key string) (unlock func(), err error) {
	v, _ := depsLocks.LoadOrStore(key, make(chan struct{}, 1))
	ch := v.(chan struct{})
	select {
	case ch <- struct{}{}:
		return func() { <-ch }, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("waiting for another install of the same dependencies: %w", ctx.Err())
	}
}

// cachedVendor returns the _vendor directory of the cache entry for key,
// filling the entry with install first when it is missing. install gets
// an empty directory to install into. Entries are filled under a
// temporary name and renamed into place, so that a crashed or concurrent
// build never leaves a half-filled entry behind.
func cachedVendor(ctx context.Context, cacheDir, key string, log *slog.Logger, install func(ctx context.Context, target string) error) (string, error) {
	parent := filepath.Join(cacheDir, filepath.FromSlash(depsCacheSubdir))
	entry := filepath.Join(parent, key)
	vendor := filepath.Join(entry, vendorDir)
	unlock, err := lockDeps(ctx, entry)
	if err != nil {
		return "", err
	}
	defer unlock()
	if _, err := os.Stat(filepath.Join(entry, depsCompleteMarker)); err == nil {
		now := time.Now()
		_ = os.Chtimes(entry, now, now) // records the last use, for pruning
		log.Debug("using cached dependencies", "entry", entry)
		return vendor, nil
	}
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return "", fmt.Errorf("creating the dependency cache %s: %w", parent, err)
	}
	tmp, err := os.MkdirTemp(parent, key+".tmp-")
	if err != nil {
		return "", fmt.Errorf("creating a dependency cache entry: %w", err)
	}
	defer os.RemoveAll(tmp) // a no-op once renamed
	if err := install(ctx, filepath.Join(tmp, vendorDir)); err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(tmp, depsCompleteMarker), nil, 0o644); err != nil {
		return "", fmt.Errorf("marking the dependency cache entry complete: %w", err)
	}
	// An incomplete entry left by a crash is in the way; a complete one
	// written meanwhile by another process is as good as ours.
	if _, err := os.Stat(filepath.Join(entry, depsCompleteMarker)); err == nil {
		return vendor, nil
	}
	if err := os.RemoveAll(entry); err != nil {
		return "", fmt.Errorf("removing an incomplete dependency cache entry: %w", err)
	}
	if err := os.Rename(tmp, entry); err != nil {
		if _, serr := os.Stat(filepath.Join(entry, depsCompleteMarker)); serr == nil {
			return vendor, nil
		}
		return "", fmt.Errorf("storing the dependency cache entry: %w", err)
	}
	pruneDepsCache(parent, time.Now().Add(-depsCacheMaxAge), log)
	return vendor, nil
}

// depsCacheMaxAge is how long a dependency cache entry may go unused
// before an install removes it. Entries are keyed by content, so edits to
// requirements leave old ones behind; a month keeps those of branches that
// are switched between.
const depsCacheMaxAge = 30 * 24 * time.Hour

// pruneDepsCache removes the entries of parent last used before cutoff,
// and leftovers of interrupted installs of that age.
func pruneDepsCache(parent string, cutoff time.Time, log *slog.Logger) {
	entries, err := os.ReadDir(parent)
	if err != nil {
		return
	}
	for _, e := range entries {
		info, err := e.Info()
		if err != nil || !e.IsDir() || info.ModTime().After(cutoff) {
			continue
		}
		p := filepath.Join(parent, e.Name())
		if err := os.RemoveAll(p); err != nil {
			log.Warn("removing an old dependency cache entry", "entry", p, "err", err)
		}
	}
}

// linkTree recreates the tree src under dst, hard-linking files (copying
// them when a link is not possible, across devices say). Symlinks are
// recreated as they are.
func linkTree(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		switch {
		case d.IsDir():
			return os.MkdirAll(target, 0o755)
		case d.Type()&fs.ModeSymlink != 0:
			link, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return os.Symlink(link, target)
		case d.Type().IsRegular():
			if err := os.Link(p, target); err == nil {
				return nil
			} else if errors.Is(err, fs.ErrExist) {
				return fmt.Errorf("linking %s: %w", rel, err)
			}
			info, err := d.Info()
			if err != nil {
				return err
			}
			return fileutil.CopyFile(target, p, info.Mode().Perm())
		}
		return nil
	})
}
