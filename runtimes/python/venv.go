package python

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/lambdalens/lambdalens/runtimes/proc"
)

// depSource is the file that declares a function's dependencies, and the
// requirements it yields.
type depSource struct {
	// Name is the declaring file, slash-separated and relative to the root
	// ("requirements.txt", "api/requirements.txt").
	Name string
	// Dir is the absolute directory that holds it: its lock (uv.lock,
	// pylock.toml) is looked for there, and the installers run there, so
	// that local paths in it ("./wheels/x.whl") are relative to it.
	Dir string
	// Files are the absolute files whose content decides the install.
	Files []string
	// ReqFile is the requirements file to pass to the installer as is
	// (requirements.txt). Empty when Reqs holds converted requirements.
	ReqFile string
	// Reqs are requirement specifiers converted from pyproject.toml or a
	// Pipfile; written to a file inside the venv before installing.
	Reqs []string
}

// requirementsFiles are the requirements files Vercel recognises in a
// directory, in its order (reference §5.3), after pyproject.toml,
// Pipfile.lock and Pipfile.
var requirementsFiles = []string{
	"requirements.frozen.txt", "requirements-frozen.txt", "requirements.txt",
	"requirements.in", "requirements/prod.txt",
}

// manifestFiles are the names, relative to a directory, of every file
// that can declare dependencies or lock them there.
var manifestFiles = append([]string{"pyproject.toml", "Pipfile.lock", "Pipfile", "uv.lock", pylockFile}, requirementsFiles...)

// entryDir is the directory of the entrypoint file (slash-separated,
// relative to the root) that the dependency lookup starts from.
func entryDir(file string) string { return relDir(path.Dir(filepath.ToSlash(file))) }

// relDir cleans a slash-separated directory relative to the root; one
// that would leave the root is the root, ".".
func relDir(dir string) string {
	dir = path.Clean(filepath.ToSlash(dir))
	if dir == ".." || strings.HasPrefix(dir, "../") || path.IsAbs(dir) {
		return "."
	}
	return dir
}

// manifestDirs are the directories a lookup from dir (slash-separated,
// relative to root) visits: dir, its parents, the root last.
func manifestDirs(dir string) []string {
	dirs := []string{dir}
	for dir != "." {
		dir = path.Dir(dir)
		dirs = append(dirs, dir)
	}
	return dirs
}

// findDeps returns the dependency declaration of a function whose
// entrypoint is in dir (slash-separated, relative to root; "." for the
// root), or nil when there is none. As Vercel does (reference §5.2,
// §5.3), it looks in dir, then in each parent up to root, and takes the
// nearest directory that declares dependencies: api/requirements.txt
// for api/index.py, else requirements.txt at the root. Within one
// directory the order is Vercel's: pyproject.toml, Pipfile.lock,
// Pipfile, then requirementsFiles. Unlike Vercel, a pyproject.toml
// without [project.dependencies] (one that configures only tools such as
// ruff) does not count: the lookup goes on to the next file, and then to
// the parent directory.
func findDeps(root, dir string) (*depSource, error) {
	for _, d := range manifestDirs(relDir(dir)) {
		src, err := findDepsIn(root, d)
		if err != nil || src != nil {
			return src, err
		}
	}
	return nil, nil
}

// findDepsIn returns the dependency declaration of the directory rel
// (slash-separated, relative to root), or nil when it has none.
func findDepsIn(root, rel string) (*depSource, error) {
	dir := filepath.Join(root, filepath.FromSlash(rel))
	name := func(file string) string { return path.Join(rel, file) }
	source := func(file string) *depSource {
		abs := filepath.Join(dir, filepath.FromSlash(file))
		return &depSource{Name: name(file), Dir: dir, Files: []string{abs}}
	}

	pyproject := filepath.Join(dir, "pyproject.toml")
	if doc, files, err := readPyproject(pyproject, name("pyproject.toml")); err == nil {
		if len(doc.Project.Dependencies) > 0 {
			ws, err := findUVWorkspace(root, rel)
			if err != nil {
				return nil, err
			}
			reqs, err := pyprojectRequirements(name("pyproject.toml"), dir, doc, ws)
			if err != nil {
				return nil, err
			}
			src := source("pyproject.toml")
			src.Files = files
			if ws != nil {
				src.Files = append(src.Files, ws.files...)
			}
			src.Reqs = reqs
			return src, nil
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}

	lock := filepath.Join(dir, "Pipfile.lock")
	if b, err := os.ReadFile(lock); err == nil {
		reqs, err := pipfileLockReqs(b, dir)
		if err != nil {
			return nil, fmt.Errorf("reading the dependencies in %s: %w", name("Pipfile.lock"), err)
		}
		src := source("Pipfile.lock")
		src.Reqs = reqs
		return src, nil
	}

	pipfile := filepath.Join(dir, "Pipfile")
	if b, err := os.ReadFile(pipfile); err == nil {
		reqs, err := pipfileReqs(b, dir)
		if err != nil {
			return nil, fmt.Errorf("reading the dependencies in %s: %w", name("Pipfile"), err)
		}
		src := source("Pipfile")
		src.Reqs = reqs
		return src, nil
	}

	for _, f := range requirementsFiles {
		p := filepath.Join(dir, filepath.FromSlash(f))
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			src := source(f)
			src.ReqFile = p
			return src, nil
		}
	}
	return nil, nil
}

// hasRequirements reports whether a requirements file has any line that is
// not blank or a comment (pip refuses to install from an empty one).
func hasRequirements(b []byte) bool {
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line != "" && !strings.HasPrefix(line, "#") {
			return true
		}
	}
	return false
}

// managedVenvMarker is written last into a managed venv; a directory
// without it is a failed or interrupted install and is rebuilt.
const managedVenvMarker = "lambdalens-installed"

// venvLocks serialises creation of one managed venv within this process
// (two functions of one project may start at once). Values are
// chan struct{} of capacity 1, so that waiting honours the context.
var venvLocks sync.Map

func lockDir(ctx context.Context, dir string) (unlock func(), err error) {
	v, _ := venvLocks.LoadOrStore(dir, make(chan struct{}, 1))
	ch := v.(chan struct{})
	select {
	case ch <- struct{}{}:
		return func() { <-ch }, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("waiting for another install into %s: %w", dir, ctx.Err())
	}
}

// venvHash identifies the content of a managed venv: the base interpreter,
// the dependency files (the declaration, its lock, the files
// requirements.txt includes with -r and -c) and the index settings of
// env.
func venvHash(base Interp, deps *lambdaDeps, env []string) (string, error) {
	h := sha256.New()
	fmt.Fprintf(h, "lambdalens managed venv 2\n%s\n%s\n%s\n", base.Path, base.Version, deps.src.Name)
	hashIndexEnv(h, env)
	for _, f := range deps.files {
		b, err := os.ReadFile(f)
		if err != nil {
			return "", fmt.Errorf("hashing %s: %w", f, err)
		}
		fmt.Fprintf(h, "%s %d\n", filepath.Base(f), len(b))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil))[:venvHashLen], nil
}

// managedVenv returns the interpreter of the managed venv for deps,
// creating and filling it first when it does not exist yet. It installs
// what a Lambda build of the project installs: pyproject.toml's
// dependencies held to uv.lock's versions, or exactly pylock.toml's set.
func managedVenv(ctx context.Context, root, cacheDir string, base Interp, deps *lambdaDeps, env []string, logger *slog.Logger, notices io.Writer) (Interp, error) {
	hash, err := venvHash(base, deps, env)
	if err != nil {
		return Interp{}, err
	}
	parent := filepath.Join(cacheDir, "python")
	name, group := managedVenvName(root, deps, hash)
	dir := filepath.Join(parent, name)
	in := Interp{Source: SourceManagedPrefix + relToRoot(root, dir), Venv: dir, Version: base.Version}

	unlock, err := lockDir(ctx, dir)
	if err != nil {
		return Interp{}, err
	}
	defer unlock()
	if _, err := os.Stat(filepath.Join(dir, managedVenvMarker)); err == nil {
		if py := venvPython(dir); py != "" {
			in.Path = py
			return in, nil
		}
	}
	if err := os.RemoveAll(dir); err != nil {
		return Interp{}, fmt.Errorf("removing the incomplete venv %s: %w", dir, err)
	}
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return Interp{}, fmt.Errorf("creating %s: %w", parent, err)
	}

	uv, err := uvFor(env)
	if err != nil {
		return Interp{}, err
	}
	installer := "pip"
	if uv != "" {
		installer = "uv"
	}
	logger.Info("creating a managed virtual environment", "dir", relToRoot(root, dir), "from", deps.src.Name, "installer", installer)
	// Seconds to minutes, before the process can start: say so once per
	// install (a reused venv says nothing).
	notify(notices, "installing the dependencies of %s with %s into the virtual environment %s (again only when the dependency files change)",
		deps.describe(), installer, relToRoot(root, dir))

	// Without uv, pip >= 22.3 of the base interpreter can install into a
	// venv created --without-pip (pip --python), which skips ensurepip:
	// seconds faster per venv.
	outerPip := uv == "" && pipHasPythonFlag(ctx, base.Path, env)
	var create *exec.Cmd
	switch {
	case uv != "":
		create = exec.CommandContext(ctx, uv, "venv", "--python", base.Path, dir)
	case outerPip:
		create = exec.CommandContext(ctx, base.Path, "-m", "venv", "--without-pip", dir)
	default:
		create = exec.CommandContext(ctx, base.Path, "-m", "venv", dir)
	}
	create.Dir = root
	create.Env = env
	proc.Group(create, toolWaitDelay)
	if out, err := create.CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return Interp{}, installError(ctx, fmt.Sprintf("creating the virtual environment %s with %s", relToRoot(root, dir), installer), out, err)
	}
	py := venvPython(dir)
	if py == "" {
		os.RemoveAll(dir)
		return Interp{}, fmt.Errorf("creating the virtual environment %s: no interpreter in it afterwards", dir)
	}

	reqFile, lockArgs, err := venvRequirements(dir, deps)
	if err != nil {
		os.RemoveAll(dir)
		return Interp{}, err
	}
	reqs, err := os.ReadFile(reqFile)
	if err != nil {
		return Interp{}, fmt.Errorf("reading %s: %w", reqFile, err)
	}
	if hasRequirements(reqs) {
		var install *exec.Cmd
		switch {
		case uv != "":
			install = exec.CommandContext(ctx, uv, append([]string{"pip", "install", "--python", py, "-r", reqFile}, lockArgs...)...)
		case outerPip:
			install = exec.CommandContext(ctx, base.Path, append([]string{"-m", "pip", "--python", py, "install", "--disable-pip-version-check", "-r", reqFile}, lockArgs...)...)
		default:
			install = exec.CommandContext(ctx, py, append([]string{"-m", "pip", "install", "--disable-pip-version-check", "-r", reqFile}, lockArgs...)...)
		}
		install.Dir = deps.src.Dir // local paths in requirements are relative to the declaration's folder, as in a build
		install.Env = setenv(env, "VIRTUAL_ENV", dir)
		proc.Group(install, toolWaitDelay)
		if out, err := install.CombinedOutput(); err != nil {
			os.RemoveAll(dir)
			return Interp{}, installError(ctx, fmt.Sprintf("installing the dependencies of %s into %s with %s", deps.src.Name, relToRoot(root, dir), installer), out, err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, managedVenvMarker), []byte(deps.src.Name+"\n"), 0o644); err != nil {
		return Interp{}, fmt.Errorf("marking %s complete: %w", dir, err)
	}
	removeStaleVenvs(parent, dir, group, logger)
	in.Path = py
	return in, nil
}

// venvRequirements writes, inside the venv dir, the requirements file
// for deps when it is not the project's requirements.txt, and returns it
// with the installer arguments its lock adds: uv.lock's versions as
// constraints (-c) and the indexes they come from besides PyPI, or
// --no-deps for pylock.toml's complete set.
func venvRequirements(dir string, deps *lambdaDeps) (reqFile string, args []string, err error) {
	write := func(name string, lines []string) (string, error) {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
			return "", fmt.Errorf("writing %s: %w", path, err)
		}
		return path, nil
	}
	switch {
	case deps.pylock != "":
		reqs, _, err := deps.pylockRequirements()
		if err != nil {
			return "", nil, err
		}
		reqFile, err = write("lambdalens-pylock-requirements.txt", reqs)
		return reqFile, []string{"--no-deps"}, err
	case deps.src.ReqFile != "":
		reqFile = deps.src.ReqFile
	default:
		if reqFile, err = write("lambdalens-requirements.txt", deps.src.Reqs); err != nil {
			return "", nil, err
		}
	}
	if deps.uvLock != "" {
		pins, indexes, err := deps.uvLockPins()
		if err != nil {
			return "", nil, err
		}
		constraints, err := write("lambdalens-uv-lock-constraints.txt", pins)
		if err != nil {
			return "", nil, err
		}
		args = append([]string{"-c", constraints}, indexArgs(indexes)...)
	}
	return reqFile, args, nil
}

// pipVersionRE finds pip's version in `pip --version` output.
var pipVersionRE = regexp.MustCompile(`^pip (\d+)\.(\d+)`)

// pipHasPythonFlag reports whether python's pip is 22.3 or newer, the first
// release with `pip --python <interpreter>`.
func pipHasPythonFlag(ctx context.Context, python string, env []string) bool {
	major, minor, ok := pipVersion(ctx, python, env)
	return ok && (major > 22 || major == 22 && minor >= 3)
}

// hasPip reports whether python can run pip.
func hasPip(ctx context.Context, python string, env []string) bool {
	_, _, ok := pipVersion(ctx, python, env)
	return ok
}

// pipVersion asks python's pip for its version; ok is false when python
// cannot run pip.
func pipVersion(ctx context.Context, python string, env []string) (major, minor int, ok bool) {
	ctx, cancel := context.WithTimeout(ctx, versionQueryTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, python, "-m", "pip", "--version")
	cmd.Env = env
	proc.Group(cmd, toolWaitDelay)
	out, err := cmd.Output()
	if err != nil {
		return 0, 0, false
	}
	m := pipVersionRE.FindSubmatch(bytes.TrimSpace(out))
	if m == nil {
		return 0, 0, false
	}
	major, _ = strconv.Atoi(string(m[1]))
	minor, _ = strconv.Atoi(string(m[2]))
	return major, minor, true
}

// managedVenvName names the managed venv of deps, whose content hash is
// hash: venv-<hash> for a declaration at the root, venv-<group>-<hash>
// for one in a folder, group being a hash of the folder. Functions with
// different declarations (api/requirements.txt, requirements.txt) then
// have venvs side by side, and replacing one leaves the others alone.
func managedVenvName(root string, deps *lambdaDeps, hash string) (name, group string) {
	rel := relToRoot(root, deps.src.Dir)
	if rel == "." {
		return "venv-" + hash, ""
	}
	sum := sha256.Sum256([]byte(rel))
	group = hex.EncodeToString(sum[:])[:venvGroupLen]
	return "venv-" + group + "-" + hash, group
}

// Lengths of the hex parts of a managed venv's name.
const (
	venvHashLen  = 16
	venvGroupLen = 8
)

// venvGroup returns the group of a managed venv's directory name (""
// for a root declaration's), and false for a name managedVenvName does
// not make.
func venvGroup(name string) (string, bool) {
	rest, ok := strings.CutPrefix(name, "venv-")
	switch {
	case !ok:
		return "", false
	case len(rest) == venvHashLen && !strings.Contains(rest, "-"):
		return "", true
	case len(rest) == venvGroupLen+1+venvHashLen && rest[venvGroupLen] == '-' && !strings.Contains(rest[venvGroupLen+1:], "-"):
		return rest[:venvGroupLen], true
	}
	return "", false
}

// removeStaleVenvs deletes the other managed venvs of group: they belong
// to an earlier content of the same declaration's dependency files.
func removeStaleVenvs(parent, keep, group string, logger *slog.Logger) {
	entries, err := os.ReadDir(parent)
	if err != nil {
		return
	}
	for _, e := range entries {
		p := filepath.Join(parent, e.Name())
		if g, ok := venvGroup(e.Name()); !e.IsDir() || !ok || g != group || p == keep {
			continue
		}
		if err := os.RemoveAll(p); err != nil {
			logger.Warn("removing a stale managed venv", "dir", p, "err", err)
		}
	}
}
