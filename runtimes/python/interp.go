package python

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/lambdalens/lambdalens/runtimes"
	"github.com/lambdalens/lambdalens/runtimes/proc"
)

// Interp is the Python interpreter chosen for a project's dev processes.
type Interp struct {
	// Path is the interpreter executable. For a virtual environment it is
	// the venv's own bin/python3 (not the file it links to), so that the
	// venv's site-packages are used.
	Path string `json:"path"`
	// Version is the interpreter's major.minor version ("3.11").
	Version string `json:"version"`
	// Source says why it was chosen: "VIRTUAL_ENV", ".venv", "venv",
	// "managed venv .vercel/cache/python/venv-<hash>" (venv-<folder
	// hash>-<hash> for dependencies declared below the root), "python3 on PATH"
	// or "configured interpreter <path>". The dev server prints it.
	Source string `json:"source"`
	// Venv is the virtual environment directory, empty for a system
	// interpreter.
	Venv string `json:"venv,omitempty"`
}

// Interpreter sources, in the order Interpreter tries them.
const (
	SourceVirtualEnv = "VIRTUAL_ENV"
	SourceDotVenv    = ".venv"
	SourceVenv       = "venv"
	// SourceManagedPrefix starts the Source of a managed venv; the venv's
	// directory (relative to the project root when inside it) follows.
	SourceManagedPrefix = "managed venv "
	SourcePath          = "python3 on PATH"
)

// versionQueryTimeout bounds `python -c 'print(version)'`; a healthy
// interpreter answers in tens of milliseconds.
const versionQueryTimeout = 30 * time.Second

// toolWaitDelay bounds how long Wait waits for the output pipes of a tool
// (pip, uv, python) that was killed with its process group: a grandchild
// that escaped the group cannot hold a build up.
const toolWaitDelay = 5 * time.Second

// Interpreter chooses the interpreter for the project at root, in this
// order:
//
//  1. $VIRTUAL_ENV (an activated venv; an error if it has no interpreter);
//  2. root/.venv, then root/venv;
//  3. when the project declares dependencies (pyproject.toml
//     [project.dependencies], Pipfile.lock, Pipfile or a requirements
//     file at the root; see findDeps) and has no venv: a managed venv
//     under root/.vercel/cache/python/, named after a hash of the
//     dependency files and the base interpreter, created and filled with
//     uv when it is on PATH, else with python -m venv and pip. It is
//     reused until the hash changes;
//  4. the base interpreter: Runtime.Python, or python3 on PATH.
//
// A failed install is a *runtimes.BuildError carrying the installer's
// output. logger receives progress messages; nil means the runtime's.
func (r *Runtime) Interpreter(ctx context.Context, root string, logger *slog.Logger) (Interp, error) {
	if logger == nil {
		logger = r.logger()
	}
	return r.interpreter(ctx, root, ".", filepath.Join(root, ".vercel", "cache"), os.Environ(), logger, nil)
}

// interpreter is Interpreter for a function whose entrypoint is in dir
// (slash-separated, relative to root): its dependencies are the nearest
// declaration from dir up to the root, as for its Lambda build
// (findLambdaDeps), so api/requirements.txt fills the managed venv of
// api/index.py. The cache directory and the environment (for VIRTUAL_ENV
// and PATH) are explicit. notices receives what the user
// sees at the default log level (see notify): one line per managed venv
// install, and one the first time r runs a project without dependencies
// on a base interpreter.
func (r *Runtime) interpreter(ctx context.Context, root, dir, cacheDir string, env []string, logger *slog.Logger, notices io.Writer) (Interp, error) {
	if venv := getenv(env, "VIRTUAL_ENV"); venv != "" {
		py := venvPython(venv)
		if py == "" {
			return Interp{}, fmt.Errorf("using the activated virtual environment VIRTUAL_ENV=%s: it has no %s", venv, venvPythonNames())
		}
		return withVersion(ctx, Interp{Path: py, Source: SourceVirtualEnv, Venv: venv})
	}
	for _, name := range []string{SourceDotVenv, SourceVenv} {
		dir := filepath.Join(root, name)
		if py := venvPython(dir); py != "" {
			return withVersion(ctx, Interp{Path: py, Source: name, Venv: dir})
		}
	}
	base, err := r.baseInterp(ctx, env)
	if err != nil {
		return Interp{}, err
	}
	deps, err := findLambdaDeps(root, dir)
	if err != nil {
		return Interp{}, err
	}
	warnPoetryOnly(logger, root, dir)
	if deps == nil {
		logger.Info("no dependencies declared: using the base interpreter", "python", base.Path, "source", base.Source)
		if r.firstSystemUse(base.Path) {
			notify(notices, "using %s (%s, Python %s): the project declares no dependencies (requirements.txt, pyproject.toml, Pipfile), so a package the code finds only in this Python's site-packages will be missing on Vercel",
				base.Path, base.Source, base.Version)
		}
		return base, nil
	}
	return managedVenv(ctx, root, cacheDir, base, deps, env, logger, notices)
}

// baseInterp is Runtime.Python or python3 on PATH (PATH taken from env).
func (r *Runtime) baseInterp(ctx context.Context, env []string) (Interp, error) {
	name, source := "python3", SourcePath
	if r != nil && r.Python != "" {
		name, source = r.Python, "configured interpreter "+r.Python
	}
	path, err := lookPath(name, getenv(env, "PATH"))
	if err != nil {
		return Interp{}, fmt.Errorf("finding a Python interpreter: %s was not found (install Python 3, or create a virtual environment in .venv): %w", name, err)
	}
	return withVersion(ctx, Interp{Path: path, Source: source})
}

func withVersion(ctx context.Context, in Interp) (Interp, error) {
	v, err := pythonVersion(ctx, in.Path)
	if err != nil {
		return Interp{}, err
	}
	in.Version = v
	return in, nil
}

// venvPythonNames lists where venvPython looks, for error messages.
func venvPythonNames() string {
	if runtime.GOOS == "windows" {
		return `Scripts\python.exe`
	}
	return "bin/python3 or bin/python"
}

// venvPython returns the interpreter of the virtual environment at dir, or
// "" when dir is not one.
func venvPython(dir string) string {
	var names []string
	if runtime.GOOS == "windows" {
		names = []string{filepath.Join("Scripts", "python.exe")}
	} else {
		names = []string{filepath.Join("bin", "python3"), filepath.Join("bin", "python")}
	}
	for _, n := range names {
		p := filepath.Join(dir, n)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
			if abs, err := filepath.Abs(p); err == nil {
				return abs
			}
			return p
		}
	}
	return ""
}

// versionCache maps an interpreter path plus its file identity to its
// version, so that StartDev does not run Python twice per start.
var versionCache sync.Map // string -> string

func pythonVersion(ctx context.Context, path string) (string, error) {
	key := path
	if fi, err := os.Stat(path); err == nil {
		key = fmt.Sprintf("%s\x00%d\x00%d", path, fi.Size(), fi.ModTime().UnixNano())
	}
	if v, ok := versionCache.Load(key); ok {
		return v.(string), nil
	}
	ctx, cancel := context.WithTimeout(ctx, versionQueryTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, "-c", "import sys; print('%d.%d' % sys.version_info[:2])")
	proc.Group(cmd, toolWaitDelay)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("asking %s for its version: %w\n%s", path, err, strings.TrimSpace(stderr.String()))
	}
	v := strings.TrimSpace(string(out))
	if !strings.HasPrefix(v, "3.") {
		return "", fmt.Errorf("asking %s for its version: got %q, want Python 3", path, v)
	}
	versionCache.Store(key, v)
	return v, nil
}

// lookPath finds an executable like exec.LookPath, but in the given PATH
// value rather than the current process's. Names with a separator are
// checked as given.
func lookPath(name, pathEnv string) (string, error) {
	if strings.ContainsRune(name, filepath.Separator) || strings.Contains(name, "/") {
		if isExecutable(name) {
			return filepath.Abs(name)
		}
		return "", fmt.Errorf("%s: %w", name, fs.ErrNotExist)
	}
	exts := []string{""}
	if runtime.GOOS == "windows" {
		exts = []string{".exe", ".bat", ".cmd", ""}
	}
	for _, dir := range filepath.SplitList(pathEnv) {
		if dir == "" {
			continue
		}
		for _, ext := range exts {
			p := filepath.Join(dir, name+ext)
			if isExecutable(p) {
				return filepath.Abs(p)
			}
		}
	}
	return "", exec.ErrNotFound
}

func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	if err != nil || !fi.Mode().IsRegular() {
		return false
	}
	return runtime.GOOS == "windows" || fi.Mode().Perm()&0o111 != 0
}

// getenv returns the last value of key in env (later entries win, as in
// os/exec).
func getenv(env []string, key string) string {
	for i := len(env) - 1; i >= 0; i-- {
		if k, v, ok := strings.Cut(env[i], "="); ok && k == key {
			return v
		}
	}
	return ""
}

// setenv returns env with key set to value, replacing earlier entries.
func setenv(env []string, key, value string) []string {
	out := make([]string, 0, len(env)+1)
	for _, kv := range env {
		if k, _, ok := strings.Cut(kv, "="); ok && k == key {
			continue
		}
		out = append(out, kv)
	}
	return append(out, key+"="+value)
}

// relToRoot shows p relative to root when it is inside it.
func relToRoot(root, p string) string {
	if rel, err := filepath.Rel(root, p); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return filepath.ToSlash(rel)
	}
	return p
}

// installError is what a failed venv creation or install returns: the
// installer's output as a *runtimes.BuildError, or the context's error.
func installError(ctx context.Context, op string, out []byte, err error) error {
	if cerr := ctx.Err(); cerr != nil {
		return fmt.Errorf("%s: %w", op, cerr)
	}
	return &runtimes.BuildError{Op: op, Output: strings.TrimSpace(string(out)), Err: err}
}
