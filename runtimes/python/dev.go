package python

import (
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/lambdalens/lambdalens/runtimes"
	"github.com/lambdalens/lambdalens/runtimes/proc"
)

// shimFS holds the dev shim: lambdalens_dev.py imports an entrypoint,
// serves it over HTTP on 127.0.0.1 and reports the port on fd 3 (see its
// docstring for the contract); lambdalens_asgi.py is its built-in ASGI
// server.
//
//go:embed shim/*.py
var shimFS embed.FS

// shimMain is the script run by the interpreter.
const shimMain = "lambdalens_dev.py"

const (
	// devReadyTimeout bounds the wait for a Python dev process's port.
	// Importing a large framework app (Django, a FastAPI app with many
	// routers) can take several seconds on a cold disk cache; Vercel waits
	// up to 5 minutes, which hides hangs, so we settle in between.
	devReadyTimeout = 60 * time.Second
	// stderrTailBytes is how much recent stderr a dev process keeps for
	// parsing tracebacks; deep framework tracebacks exceed proc's 40 lines.
	stderrTailBytes = 64 << 10
	// exitStartFailure is the shim's exit status when the entrypoint
	// cannot be imported or started.
	exitStartFailure = 3
	// shimErrorPrefix starts the shim's own error messages on stderr.
	shimErrorPrefix = noticePrefix + "error: "
)

// Diagnostic codes of dev-process failures.
const (
	CodeImportError = "python-import-error"
	CodeCrash       = "python-crash"
)

// rootInputFiles are the files at the project root, besides every .py
// file and the dependency files (see Inputs), that a dev process depends
// on.
var rootInputFiles = []string{".python-version", ".env"}

// StartDev starts a dev process for one Python entrypoint: it chooses the
// interpreter (see Interpreter; installing a managed venv and running on
// the system Python are told to the user as "lambdalens: " lines on
// req.Stderr), writes the shim to
// <CacheDir>/python/, and runs it with the project root as working
// directory. It returns once the shim reported its port. An import error
// or a crash during startup is a *runtimes.BuildError whose Output is the
// traceback and whose diagnostic sits at the innermost frame in the
// project.
func (r *Runtime) StartDev(ctx context.Context, req runtimes.DevRequest) (runtimes.DevProcess, error) {
	if !filepath.IsAbs(req.Root) {
		return nil, fmt.Errorf("starting %s: project root %q is not absolute", req.File, req.Root)
	}
	if req.File == "" {
		return nil, errors.New("starting a Python dev process: no entrypoint file")
	}
	logger := req.Logger
	if logger == nil {
		logger = r.logger()
	} else {
		logger = logger.With("component", "python")
	}
	entry := filepath.Join(req.Root, filepath.FromSlash(req.File))
	if _, err := os.Stat(entry); err != nil {
		return nil, fmt.Errorf("starting %s: %w", req.File, err)
	}
	cacheDir := req.CacheDir
	if cacheDir == "" {
		cacheDir = filepath.Join(req.Root, ".vercel", "cache")
	}
	env := req.Env
	if env == nil {
		env = os.Environ()
	}

	interp, err := r.interpreter(ctx, req.Root, entryDir(req.File), cacheDir, env, logger, req.Stderr)
	if err != nil {
		return nil, err
	}
	logger.Info("starting Python dev process", "file", req.File, "python", interp.Path,
		"version", interp.Version, "source", interp.Source)

	shim, err := writeShim(filepath.Join(cacheDir, "python"))
	if err != nil {
		return nil, err
	}
	childEnv := setenv(env, "PYTHONUNBUFFERED", "1")
	// Keep __pycache__ out of the user's tree.
	childEnv = setenv(childEnv, "PYTHONPYCACHEPREFIX", filepath.Join(cacheDir, "python", "pycache"))
	if interp.Venv != "" {
		childEnv = setenv(childEnv, "VIRTUAL_ENV", interp.Venv)
		bin := filepath.Dir(interp.Path)
		childEnv = setenv(childEnv, "PATH", bin+string(os.PathListSeparator)+getenv(env, "PATH"))
	}

	tail := proc.NewTail(stderrTailBytes)
	var stderr io.Writer = tail
	if req.Stderr != nil {
		stderr = io.MultiWriter(tail, req.Stderr)
	}
	args := []string{"-u", shim, "--root", req.Root, "--file", req.File}
	if k := req.Entrypoint.AppKind; k != runtimes.AppUnknown {
		args = append(args, "--kind", string(k))
	}
	if s := req.Entrypoint.Symbol; s != "" {
		args = append(args, "--symbol", s)
	}
	cfg := proc.Config{
		Name:         req.File,
		Path:         interp.Path,
		Args:         args,
		Dir:          req.Root,
		Env:          childEnv,
		Stdout:       req.Stdout,
		Stderr:       stderr,
		Port:         proc.PortFD3,
		ReadyTimeout: devReadyTimeout,
		Logger:       logger,
	}
	// The control socket (fd 4) answers which files the interpreter has
	// loaded (devProcess.Loaded). Without it every change restarts.
	var ctrl *control
	if cfg.ExtraPassed() {
		c, child, err := newControl()
		if err != nil {
			logger.Debug("no control socket; every .py change restarts the process", "file", req.File, "err", err)
		} else {
			defer child.Close() // the child has its copy once Start returned
			ctrl = c
			cfg.ExtraFiles = []*os.File{child}
			cfg.OnExit = func() { c.close(errExited) }
		}
	}
	p, err := proc.Start(ctx, cfg)
	if err != nil {
		if ctrl != nil {
			ctrl.close(errExited)
		}
		return nil, startError(req.Root, req.File, interp, tail.String(), err)
	}
	return &devProcess{Process: p, root: req.Root, file: req.File, tail: tail, interp: interp, ctrl: ctrl}, nil
}

// startError explains a failed start: a traceback or a shim error becomes
// a *runtimes.BuildError, anything else is wrapped.
func startError(root, file string, interp Interp, stderr string, err error) error {
	var se *proc.StartError
	if !errors.As(err, &se) || se.ExitCode <= 0 {
		// Not started, stopped by us (timeout, ctx) or a clean exit: a
		// traceback logged earlier is not the cause.
		return fmt.Errorf("starting %s with %s (%s): %w", file, interp.Path, interp.Source, err)
	}
	op := "importing " + file
	// The BuildError's Output already holds stderr; keep the StartError in
	// the chain but print only the status.
	short := &quietError{msg: describeExit(se.ExitCode, se.Signal), err: err}
	// Retry: an import may fail on a package not installed yet, which no
	// file of the project tells the dev server about.
	if be, ok := tracebackError(op, CodeImportError, root, file, stderr, short); ok {
		be.Retry = true
		return be
	}
	if se.ExitCode == exitStartFailure {
		if msg := lastShimError(stderr); msg != "" {
			return &runtimes.BuildError{Op: op, Output: strings.TrimSpace(stderr), Err: short, Retry: true,
				Diagnostics: []runtimes.Diagnostic{{File: file, Severity: runtimes.SeverityError, Code: CodeImportError, Message: msg}}}
		}
	}
	return fmt.Errorf("starting %s with %s (%s): %w", file, interp.Path, interp.Source, err)
}

// lastShimError returns the message of the shim's last "lambdalens: error:"
// line.
func lastShimError(stderr string) string {
	i := strings.LastIndex(stderr, shimErrorPrefix)
	if i < 0 {
		return ""
	}
	msg, _, _ := strings.Cut(stderr[i+len(shimErrorPrefix):], "\n")
	return strings.TrimSpace(msg)
}

// devProcess adds traceback parsing to a proc.Process.
type devProcess struct {
	*proc.Process
	root, file string
	tail       *proc.Tail
	interp     Interp
	ctrl       *control // nil without a control socket
}

// Interpreter is the interpreter the process runs on. The dev server can
// reach it with a type assertion to interface{ Interpreter() python.Interp }
// and print it.
func (d *devProcess) Interpreter() Interp { return d.interp }

// Err is nil while running and after a clean exit or Stop. A crash whose
// stderr ends in a Python traceback is a *runtimes.BuildError pointing
// into the project; other failures are the *proc.ExitError.
func (d *devProcess) Err() error {
	err := d.Process.Err()
	var ee *proc.ExitError
	if err == nil || !errors.As(err, &ee) || ee.ExitCode <= 0 {
		// Killed by a signal: an older traceback in the log is not the
		// cause.
		return err
	}
	short := &quietError{msg: describeExit(ee.ExitCode, ee.Signal), err: err}
	if be, ok := tracebackError("running "+d.file, CodeCrash, d.root, d.file, d.tail.String(), short); ok {
		return be
	}
	return err
}

// quietError prints msg but unwraps to err, whose own message repeats the
// stderr lines a BuildError carries in Output anyway.
type quietError struct {
	msg string
	err error
}

func (e *quietError) Error() string { return e.msg }
func (e *quietError) Unwrap() error { return e.err }

func describeExit(code int, signal string) string {
	if code >= 0 {
		return fmt.Sprintf("exited with status %d", code)
	}
	if signal != "" {
		return "killed by signal " + signal
	}
	return "stopped before reporting its port"
}

// writeShim writes the shim files into a directory of parent named after
// their content, once, and returns the path of the main script. Writing a
// fresh directory and renaming it into place keeps concurrent starts from
// seeing half-written files.
func writeShim(parent string) (string, error) {
	entries, err := fs.ReadDir(shimFS, "shim")
	if err != nil {
		return "", fmt.Errorf("reading the embedded Python dev shim: %w", err)
	}
	h := sha256.New()
	files := map[string][]byte{}
	for _, e := range entries {
		b, err := fs.ReadFile(shimFS, "shim/"+e.Name())
		if err != nil {
			return "", fmt.Errorf("reading the embedded Python dev shim: %w", err)
		}
		files[e.Name()] = b
		fmt.Fprintf(h, "%s %d\n", e.Name(), len(b))
		h.Write(b)
	}
	dir := filepath.Join(parent, "shim-"+hex.EncodeToString(h.Sum(nil))[:12])
	main := filepath.Join(dir, shimMain)
	if _, err := os.Stat(main); err == nil {
		return main, nil
	}
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return "", fmt.Errorf("writing the Python dev shim: %w", err)
	}
	tmp, err := os.MkdirTemp(parent, ".shim-")
	if err != nil {
		return "", fmt.Errorf("writing the Python dev shim: %w", err)
	}
	defer os.RemoveAll(tmp) // a no-op after a successful rename
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(tmp, name), b, 0o644); err != nil {
			return "", fmt.Errorf("writing the Python dev shim: %w", err)
		}
	}
	if err := os.Rename(tmp, dir); err != nil {
		if _, serr := os.Stat(main); serr == nil {
			return main, nil // written concurrently by another start
		}
		return "", fmt.Errorf("writing the Python dev shim %s: %w", dir, err)
	}
	return main, nil
}

// Inputs are every .py file of the project tree plus the files that
// decide the entrypoint's venv: the dependency files (manifestFiles:
// pyproject.toml, Pipfile, Pipfile.lock, uv.lock, pylock.toml and the
// requirements files) of the entrypoint's folder and of each parent up to
// the root, since the nearest declaration wins (findDeps) and a new one
// nearer the entrypoint replaces it; the files the declaration includes
// with -r and -c; .python-version and .env. Virtual environments and
// caches inside the tree are for the caller's ignore list to drop.
func (r *Runtime) Inputs(ctx context.Context, req runtimes.InputsRequest) (runtimes.Inputs, error) {
	if !filepath.IsAbs(req.Root) {
		return runtimes.Inputs{}, fmt.Errorf("listing the inputs of %s: project root %q is not absolute", req.File, req.Root)
	}
	var files []string
	if req.File != "" {
		files = append(files, filepath.Join(req.Root, filepath.FromSlash(req.File)))
	}
	dir := entryDir(req.File)
	for _, d := range manifestDirs(dir) {
		for _, f := range manifestFiles {
			files = append(files, filepath.Join(req.Root, filepath.FromSlash(d), filepath.FromSlash(f)))
		}
	}
	for _, f := range rootInputFiles {
		files = append(files, filepath.Join(req.Root, f))
	}
	// Files a requirements file includes (-r, -c) decide the venv too; a
	// broken declaration is reported when the process starts.
	if src, err := findDeps(req.Root, dir); err == nil && src != nil && src.ReqFile != "" {
		if inc, err := requirementIncludes(src.ReqFile); err == nil {
			files = append(files, inc...)
		}
	}
	return runtimes.Inputs{Files: files, Dirs: []string{}, Trees: []string{req.Root}, Exts: []string{".py"}}, nil
}
