package benchkit

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// ModuleRoot returns the directory of the lambdalens module containing the
// working directory (the programs run as `go run ./bench/...` from it).
func ModuleRoot(ctx context.Context) (string, error) {
	cctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	out, err := exec.CommandContext(cctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("finding the module root: go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", fmt.Errorf("finding the module root: the working directory is not inside the lambdalens module")
	}
	return filepath.Dir(gomod), nil
}

// BuildCLI builds ./cmd/lambdalens of the module at root into dir and
// returns the binary's path.
func BuildCLI(ctx context.Context, root, dir string) (string, error) {
	return Build(ctx, root, "./cmd/lambdalens", filepath.Join(dir, "lambdalens"))
}

// Build builds the command pkg ("./bench/refproxy") of the module at root
// into bin and returns bin.
func Build(ctx context.Context, root, pkg, bin string) (string, error) {
	cctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(cctx, "go", "build", "-o", bin, pkg)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building %s: %w\n%s", pkg, err, out)
	}
	return bin, nil
}

// GoVersion returns `go env GOVERSION` ("go1.26.8").
func GoVersion(ctx context.Context) (string, error) {
	cctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	out, err := exec.CommandContext(cctx, "go", "env", "GOVERSION").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOVERSION: %w", err)
	}
	return strings.TrimSpace(string(out)), nil
}

// Timed runs cmd to completion and returns how long it took. A failure
// carries the last lines of its combined output.
func Timed(cmd *exec.Cmd) (time.Duration, error) {
	var out bytes.Buffer
	if cmd.Stdout == nil {
		cmd.Stdout = &out
	}
	if cmd.Stderr == nil {
		cmd.Stderr = &out
	}
	start := time.Now()
	err := cmd.Run()
	took := time.Since(start)
	if err != nil {
		return took, fmt.Errorf("%s: %w\n%s", strings.Join(cmd.Args, " "), err, lastLines(out.String(), 30))
	}
	return took, nil
}

// lastLines returns at most n trailing lines of s.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = append([]string{"..."}, lines[len(lines)-n:]...)
	}
	return strings.Join(lines, "\n")
}

// CacheRoot is where the benchmarks keep what outlives a run (the Vercel
// CLI, a Python virtual environment): $LAMBDALENS_BENCH_CACHE, else
// ~/.cache/lambdalens-bench. It is never inside the repository.
func CacheRoot() (string, error) {
	if dir := os.Getenv("LAMBDALENS_BENCH_CACHE"); dir != "" {
		return dir, nil
	}
	base, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("finding the benchmark cache: %w", err)
	}
	return filepath.Join(base, "lambdalens-bench"), nil
}

// Vercel is the Vercel CLI installed by bench/vercel-setup.sh.
type Vercel struct {
	// Bin is the vercel executable.
	Bin string
	// GoProxy is the file:// module proxy holding go-bridge.
	GoProxy string
	// UVBin is the folder holding uv, which vercel build needs for Python.
	UVBin string
}

// FindVercel returns the CLI installed under CacheRoot, or an error that
// says how to install it.
func FindVercel() (*Vercel, error) {
	root, err := CacheRoot()
	if err != nil {
		return nil, err
	}
	v := &Vercel{
		Bin:     filepath.Join(root, "vercel", "node_modules", ".bin", "vercel"),
		GoProxy: filepath.Join(root, "goproxy"),
		UVBin:   filepath.Join(root, "uv", "bin"),
	}
	if _, err := os.Stat(v.Bin); err != nil {
		return nil, fmt.Errorf("the Vercel CLI is not installed (run bench/vercel-setup.sh): %w", err)
	}
	return v, nil
}

// Env returns the environment to run the CLI in: telemetry off, its state
// folders under scratch, and extra last.
func (v *Vercel) Env(scratch string, extra ...string) []string {
	return Environ(append([]string{
		"VERCEL_TELEMETRY_DISABLED=1",
		"XDG_DATA_HOME=" + filepath.Join(scratch, "xdg-data"),
		"XDG_CACHE_HOME=" + filepath.Join(scratch, "xdg-cache"),
		"XDG_CONFIG_HOME=" + filepath.Join(scratch, "xdg-config"),
		"NO_COLOR=1",
		"CI=1",
	}, extra...)...)
}

// Main runs a benchmark program's body until it returns or the program is
// interrupted, and exits 1 with "name: error" when it fails.
func Main(name string, run func(ctx context.Context) error) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx)
	stop()
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		os.Exit(1)
	}
}

// Workspace is a benchmark's temporary folder, with the module root and
// the lambdalens binary the benchmark runs.
type Workspace struct {
	Dir  string // the temporary folder
	Root string // the module root
	Bin  string // the lambdalens binary
	keep bool
}

// NewWorkspace makes a temporary folder lambdalens-bench-<name>-* and
// builds ./cmd/lambdalens into it unless bin names a binary already. With
// keep, Close leaves the folder (its path is printed).
func NewWorkspace(ctx context.Context, name, bin string, keep bool) (*Workspace, error) {
	root, err := ModuleRoot(ctx)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "lambdalens-bench-"+name+"-")
	if err != nil {
		return nil, err
	}
	w := &Workspace{Dir: dir, Root: root, Bin: bin, keep: keep}
	if keep {
		fmt.Printf("(keeping %s)\n\n", dir)
	}
	if w.Bin == "" {
		if w.Bin, err = BuildCLI(ctx, root, filepath.Join(dir, "bin")); err != nil {
			w.Close()
			return nil, err
		}
	}
	return w, nil
}

// Close removes the folder, unless the workspace keeps it.
func (w *Workspace) Close() {
	if !w.keep {
		RemoveAll(w.Dir)
	}
}

// Counts parses a comma-separated list of positive numbers (a -conns
// flag).
func Counts(list string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(list, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("%q is not a positive number", f)
		}
		out = append(out, n)
	}
	return out, nil
}

// Usage ends a benchmark program whose flags are wrong: the message on
// stderr, exit status 2.
func Usage(name, format string, args ...any) {
	fmt.Fprintf(os.Stderr, name+": "+format+"\n", args...)
	os.Exit(2)
}

// CheckVercelMode validates a -vercel flag: auto (when installed), on or
// off.
func CheckVercelMode(mode string) error {
	if mode != "auto" && mode != "on" && mode != "off" {
		return fmt.Errorf("-vercel must be auto, on or off, not %q", mode)
	}
	return nil
}
