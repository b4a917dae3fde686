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

// interpreter is the Python the benchmark runs everything with.
type interpreter struct {
	path    string // as given (-python)
	version string // "3.11.7"
}

func findInterpreter(ctx context.Context, python string) (*interpreter, error) {
	path, err := exec.LookPath(python)
	if err != nil {
		return nil, fmt.Errorf("finding %s: %w", python, err)
	}
	cctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	out, err := exec.CommandContext(cctx, path, "-c", `import sys; print("%d.%d.%d" % sys.version_info[:3])`).Output()
	if err != nil {
		return nil, fmt.Errorf("asking %s for its version: %w", path, err)
	}
	return &interpreter{path: path, version: strings.TrimSpace(string(out))}, nil
}

// minor is "3.11" for "3.11.7".
func (in *interpreter) minor() string {
	parts := strings.SplitN(in.version, ".", 3)
	if len(parts) < 2 {
		return in.version
	}
	return parts[0] + "." + parts[1]
}

// venv returns a virtual environment for project (created by the
// interpreter, with the project's requirements.txt installed) kept in
// the benchmark cache, outside the repository.
func (in *interpreter) venv(ctx context.Context, name, project string) (string, error) {
	root, err := benchkit.CacheRoot()
	if err != nil {
		return "", err
	}
	dir := filepath.Join(root, "venv-"+name+"-"+in.version)
	py := filepath.Join(dir, "bin", "python")
	if _, err := os.Stat(py); err == nil {
		return dir, nil
	}
	cctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	fmt.Fprintf(os.Stderr, "bench/python: creating %s\n", dir)
	if _, err := benchkit.Timed(exec.CommandContext(cctx, in.path, "-m", "venv", dir)); err != nil {
		return "", fmt.Errorf("creating a virtual environment: %w", err)
	}
	req := filepath.Join(project, "requirements.txt")
	if _, err := os.Stat(req); err == nil {
		if _, err := benchkit.Timed(exec.CommandContext(cctx, py, "-m", "pip", "install", "--quiet", "-r", req)); err != nil {
			os.RemoveAll(dir)
			return "", fmt.Errorf("installing %s: %w", req, err)
		}
	}
	return dir, nil
}

// venvEnv is the environment that makes lambdalens pick the venv.
func venvEnv(venv string, extra ...string) []string {
	return benchkit.Environ(append([]string{
		"VIRTUAL_ENV=" + venv,
		"PATH=" + filepath.Join(venv, "bin") + string(os.PathListSeparator) + os.Getenv("PATH"),
	}, extra...)...)
}
