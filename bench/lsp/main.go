// Command lsp benchmarks the lambdalens language server, and gopls on the
// same workspace for comparison, as subprocesses speaking LSP over stdio
// through the fake editor of lsp/lsptest.
//
// It generates a workspace of 200 Go and 50 Python functions (50 folders,
// a vercel.json with 50 function patterns and 100 rewrites) and measures:
//
//   - initialize → first diagnostics: from sending initialize to the first
//     non-empty publishDiagnostics of the file the editor opens right after
//     initialized (median of -runs fresh processes);
//   - keystroke → diagnostics: from a didChange to the publishDiagnostics
//     of that file for that version (p50, p95 of -edits edits, each awaited
//     before the next);
//   - codeLens: request to reply (p50, p95; lambdalens only);
//   - peak RSS: VmHWM of the server process at the end.
//
// Usage (from the repository root):
//
//	go run ./bench/lsp                 # builds the servers, installs gopls v0.23.0 once
//	go run ./bench/lsp -gopls=""       # lambdalens only
//	go run ./bench/lsp -json           # machine-readable results
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/lambdalens/lambdalens/lsp/lsptest"
)

// goplsVersion is the gopls release compared against.
const goplsVersion = "v0.23.0"

// The files the benchmark types into and asks lenses of.
const (
	editedFile = lsptest.BenchEditedFile
	lensFile   = lsptest.BenchLensFile
)

func main() {
	server := flag.String("server", "", "lambdalens server command (default: build `lambdalens lsp` if it exists, else bench/lsp/server)")
	gopls := flag.String("gopls", "auto", `gopls binary; "auto" installs gopls `+goplsVersion+` into the user cache; "" skips gopls`)
	runs := flag.Int("runs", 5, "fresh processes for initialize → first diagnostics")
	edits := flag.Int("edits", 200, "keystrokes measured")
	lenses := flag.Int("lenses", 200, "codeLens requests measured")
	asJSON := flag.Bool("json", false, "print results as JSON")
	flag.Parse()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	if err := run(ctx, *server, *gopls, *runs, *edits, *lenses, *asJSON); err != nil {
		fmt.Fprintln(os.Stderr, "bench/lsp:", err)
		os.Exit(1)
	}
}

// Result is one server's measurements.
type Result struct {
	Server       string        `json:"server"`
	FirstDiags   time.Duration `json:"firstDiagnostics"`
	KeystrokeP50 time.Duration `json:"keystrokeP50"`
	KeystrokeP95 time.Duration `json:"keystrokeP95"`
	CodeLensP50  time.Duration `json:"codeLensP50,omitempty"`
	CodeLensP95  time.Duration `json:"codeLensP95,omitempty"`
	// EditLens*: a codeLens request right after an edit of the file
	// (the model must catch up first).
	EditLensP50   time.Duration `json:"editCodeLensP50,omitempty"`
	EditLensP95   time.Duration `json:"editCodeLensP95,omitempty"`
	PeakRSSKiB    int64         `json:"peakRssKiB"`
	Edits, Lenses int           `json:"-"`
}

func run(ctx context.Context, server, gopls string, runs, edits, lenses int, asJSON bool) error {
	tmp, err := os.MkdirTemp("", "lambdalens-bench-lsp-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	ws := filepath.Join(tmp, "ws")
	if err := lsptest.WriteBenchWorkspace(ws); err != nil {
		return err
	}
	if server == "" {
		if server, err = buildServer(ctx, tmp); err != nil {
			return err
		}
	}
	serverArgs := strings.Fields(server)
	var results []Result
	r, err := measure(ctx, "lambdalens", serverArgs, ws, runs, edits, lenses)
	if err != nil {
		return fmt.Errorf("measuring lambdalens: %w", err)
	}
	results = append(results, r)
	if gopls == "auto" {
		if gopls, err = installGopls(ctx); err != nil {
			return err
		}
	}
	if gopls != "" {
		r, err := measure(ctx, "gopls "+goplsVersion, []string{gopls}, ws, runs, edits, 0)
		if err != nil {
			return fmt.Errorf("measuring gopls: %w", err)
		}
		results = append(results, r)
	}
	if asJSON {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(results)
	}
	fmt.Printf("workspace: 200 Go + 50 Python functions; %d runs, %d keystrokes, %d codeLens requests\n\n", runs, edits, lenses)
	fmt.Printf("%-16s %12s %13s %13s %10s %10s %14s %14s %10s\n", "server", "init→diags", "key→diag p50", "key→diag p95", "lens p50", "lens p95", "edit+lens p50", "edit+lens p95", "peak RSS")
	for _, r := range results {
		l := []string{"-", "-", "-", "-"}
		if r.CodeLensP50 > 0 {
			l = []string{ms(r.CodeLensP50), ms(r.CodeLensP95), ms(r.EditLensP50), ms(r.EditLensP95)}
		}
		fmt.Printf("%-16s %12s %13s %13s %10s %10s %14s %14s %6.1f MiB\n", r.Server, ms(r.FirstDiags), ms(r.KeystrokeP50), ms(r.KeystrokeP95), l[0], l[1], l[2], l[3], float64(r.PeakRSSKiB)/1024)
	}
	fmt.Println("\ntargets (lambdalens): keystroke→diagnostics p95 ≤ 10 ms; initialize→first diagnostics ≤ 60 ms; peak RSS ≤ 60 MiB")
	return nil
}

func ms(d time.Duration) string { return strconv.FormatFloat(float64(d)/1e6, 'f', 2, 64) + " ms" }

// buildServer builds `lambdalens` when it has an lsp subcommand, else the
// standalone server of bench/lsp/server.
func buildServer(ctx context.Context, tmp string) (string, error) {
	bin := filepath.Join(tmp, "lambdalens")
	if out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/lambdalens").CombinedOutput(); err == nil {
		if exec.CommandContext(ctx, bin, "help", "lsp").Run() == nil {
			return bin + " lsp", nil
		}
	} else {
		fmt.Fprintf(os.Stderr, "building cmd/lambdalens failed, using bench/lsp/server: %s\n", out)
	}
	bin = filepath.Join(tmp, "lambdalens-lsp")
	if out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, "./bench/lsp/server").CombinedOutput(); err != nil {
		return "", fmt.Errorf("building bench/lsp/server: %w\n%s", err, out)
	}
	return bin, nil
}

// installGopls installs gopls into the user cache once.
func installGopls(ctx context.Context) (string, error) {
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("finding the cache directory for gopls: %w", err)
	}
	dir := filepath.Join(cache, "lambdalens-bench", "gopls-"+goplsVersion)
	bin := filepath.Join(dir, "gopls")
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	}
	fmt.Fprintf(os.Stderr, "installing gopls %s into %s (a minute or two, once)\n", goplsVersion, dir)
	cmd := exec.CommandContext(ctx, "go", "install", "golang.org/x/tools/gopls@"+goplsVersion)
	cmd.Env = append(os.Environ(), "GOBIN="+dir, "GOFLAGS=")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("installing gopls %s: %w\n%s", goplsVersion, err, out)
	}
	return bin, nil
}

// process is a server subprocess with an editor on its stdio.
type process struct {
	cmd *exec.Cmd
	ed  *lsptest.Editor
}

type pipes struct {
	io.ReadCloser
	io.WriteCloser
}

func (p pipes) Close() error { return errors.Join(p.WriteCloser.Close(), p.ReadCloser.Close()) }

func start(ctx context.Context, args []string, ws string) (*process, error) {
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Dir = ws
	cmd.Stderr = io.Discard
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", args[0], err)
	}
	ed := lsptest.Connect(ctx, pipes{out, in}, ws, lsptest.Options{WorkDoneProgress: true, RelatedInfo: true})
	return &process{cmd: cmd, ed: ed}, nil
}

// stop shuts the server down and returns its peak RSS in KiB.
func (p *process) stop(ctx context.Context) int64 {
	rss := peakRSS(p.cmd.Process.Pid)
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	_ = p.ed.Shutdown(sctx)
	_ = p.ed.Exit(sctx)
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case <-done:
	case <-sctx.Done():
		_ = p.cmd.Process.Kill()
		<-done
	}
	p.ed.Close()
	return rss
}

// peakRSS reads VmHWM (KiB) from /proc; 0 elsewhere.
func peakRSS(pid int) int64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return n
		}
	}
	return 0
}

func measure(ctx context.Context, name string, args []string, ws string, runs, edits, lenses int) (Result, error) {
	res := Result{Server: name, Edits: edits, Lenses: lenses}
	var firsts []time.Duration
	var p *process
	for i := range runs {
		q, d, err := firstDiagnostics(ctx, args, ws)
		if err != nil {
			return res, err
		}
		firsts = append(firsts, d)
		if i < runs-1 {
			q.stop(ctx)
		} else {
			p = q // keep the last one for the rest
		}
	}
	res.FirstDiags = percentile(firsts, 50)

	// Keystrokes: toggle a type error (gopls) and the handler signature
	// (lambdalens) in turn, awaiting each publish.
	var keys []time.Duration
	for i := range edits {
		re, repl := `var _ int = "x"`, `var _ int = 1`
		if i%2 == 1 {
			re, repl = `var _ int = 1`, `var _ int = "x"`
		}
		if i%4 >= 2 {
			re, repl = `r http\.Request`, `r *http.Request`
			if i%4 == 3 {
				re, repl = `r \*http\.Request`, `r http.Request`
			}
		}
		t0 := time.Now()
		v, err := p.ed.ReplaceAll(ctx, editedFile, re, repl)
		if err != nil {
			return res, err
		}
		wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		err = p.ed.Await(wctx, fmt.Sprintf("diagnostics for version %d", v), func(s *lsptest.State) bool {
			fd, ok := s.Diagnostics[editedFile]
			return ok && fd.At.After(t0) && (fd.Version == 0 || fd.Version >= v)
		})
		cancel()
		if err != nil {
			return res, err
		}
		keys = append(keys, p.ed.State().Diagnostics[editedFile].At.Sub(t0))
	}
	res.KeystrokeP50, res.KeystrokeP95 = percentile(keys, 50), percentile(keys, 95)

	var lens []time.Duration
	if lenses > 0 {
		if err := p.ed.OpenFile(ctx, lensFile); err != nil {
			return res, err
		}
	}
	for range lenses {
		t0 := time.Now()
		ls, err := p.ed.CodeLens(ctx, lensFile)
		if err != nil {
			return res, err
		}
		lens = append(lens, time.Since(t0))
		if len(ls) == 0 {
			return res, fmt.Errorf("no code lens on %s", lensFile)
		}
	}
	if lenses > 0 {
		res.CodeLensP50, res.CodeLensP95 = percentile(lens, 50), percentile(lens, 95)
	}
	var editLens []time.Duration
	for i := range lenses {
		re, repl := `// Handler3 is generated.`, `// Handler3 is generated!`
		if i%2 == 1 {
			re, repl = repl, re
		}
		if _, err := p.ed.ReplaceAll(ctx, lensFile, re, repl); err != nil {
			return res, err
		}
		t0 := time.Now()
		ls, err := p.ed.CodeLens(ctx, lensFile)
		if err != nil {
			return res, err
		}
		editLens = append(editLens, time.Since(t0))
		if len(ls) == 0 {
			return res, fmt.Errorf("no code lens on %s after an edit", lensFile)
		}
	}
	if lenses > 0 {
		res.EditLensP50, res.EditLensP95 = percentile(editLens, 50), percentile(editLens, 95)
	}
	res.PeakRSSKiB = p.stop(ctx)
	return res, nil
}

// firstDiagnostics starts a server and times initialize → the first
// non-empty diagnostics of the edited file, which the editor opens right
// after initialized.
func firstDiagnostics(ctx context.Context, args []string, ws string) (*process, time.Duration, error) {
	p, err := start(ctx, args, ws)
	if err != nil {
		return nil, 0, err
	}
	t0 := time.Now()
	if _, err := p.ed.Initialize(ctx); err != nil {
		p.stop(ctx)
		return nil, 0, err
	}
	if err := p.ed.OpenFile(ctx, editedFile); err != nil {
		p.stop(ctx)
		return nil, 0, err
	}
	wctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	err = p.ed.Await(wctx, "first diagnostics", func(s *lsptest.State) bool { return len(s.Diagnostics[editedFile].Diagnostics) > 0 })
	if err != nil {
		p.stop(ctx)
		return nil, 0, err
	}
	return p, p.ed.State().Diagnostics[editedFile].At.Sub(t0), nil
}

func percentile(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := (len(s)*p + 99) / 100
	return s[max(0, min(i, len(s))-1)]
}
