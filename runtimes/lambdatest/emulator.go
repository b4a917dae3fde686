package lambdatest

import (
	"bytes"
	"context"
	"debug/elf"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	// readyTimeout bounds the wait for RIE's two ports.
	readyTimeout = 10 * time.Second
	// stopGrace is how long RIE gets to exit after SIGTERM (it takes
	// milliseconds) before it and its runtime's group are SIGKILLed.
	stopGrace = 5 * time.Second
	// MaxEventBytes is the largest event Invoke sends: Lambda's 6 MB limit
	// for synchronous payloads. RIE would silently truncate larger ones.
	MaxEventBytes = 6 * 1024 * 1024
	// maxResponseBytes bounds what Invoke reads back.
	maxResponseBytes = 32 << 20
	// invokePath is RIE's (and Lambda's) Invoke API path.
	invokePath = "/2015-03-31/functions/function/invocations"
)

// Emulator is one running RIE around one function directory.
type Emulator struct {
	// InvokeURL is the Invoke endpoint (POST the event to it).
	InvokeURL string
	// RuntimeAPI is the host:port of the Runtime API the function uses.
	RuntimeAPI string
	// Started is when RIE was spawned. RIE starts the runtime lazily, on
	// the first invoke, so the time to the first response is the cold
	// start.
	Started time.Time

	t      testing.TB
	cmd    *exec.Cmd
	logs   *lockedBuffer
	client *http.Client

	done    chan struct{} // closed when RIE has exited
	waitErr error         // valid after done

	invokeMu sync.Mutex // RIE crashes on overlapping invokes
	stopOnce sync.Once
}

// Start runs RIE with cmd (the runtime command, cmd[0] typically
// "bootstrap"; relative to funcDir when that file exists) in funcDir, and
// returns once both of RIE's ports accept connections. The environment is
// clean: PATH=/usr/bin:/bin, LAMBDA_TASK_ROOT=funcDir, _HANDLER (base name of
// cmd[0]), AWS_LAMBDA_FUNCTION_TIMEOUT=30, the usual region and locale
// variables, then env, which overrides any of them. RIE's output (with the
// function's) is shown when the test fails. t.Cleanup stops RIE and the
// runtime. An artifact for another CPU architecture skips the test.
func Start(t testing.TB, funcDir string, cmd []string, env map[string]string) *Emulator {
	t.Helper()
	if len(cmd) == 0 {
		t.Fatal("lambdatest.Start: empty runtime command")
	}
	rie := RIE(t)
	funcDir, err := filepath.Abs(funcDir)
	if err != nil {
		t.Fatal(err)
	}
	cmd = slices.Clone(cmd)
	if !filepath.IsAbs(cmd[0]) {
		if p := filepath.Join(funcDir, cmd[0]); fileExists(p) {
			cmd[0] = p
		}
	}
	skipForeignArch(t, cmd[0])

	addrs := freeAddrs(t, 2)
	invokeAddr, apiAddr := addrs[0], addrs[1]
	args := []string{
		"--log-level", "info",
		"--runtime-interface-emulator-address", invokeAddr,
		"--runtime-api-address", apiAddr,
	}
	e := &Emulator{
		t:          t,
		InvokeURL:  "http://" + invokeAddr + invokePath,
		RuntimeAPI: apiAddr,
		logs:       &lockedBuffer{},
		client:     &http.Client{Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true}},
		done:       make(chan struct{}),
	}
	e.cmd = exec.Command(rie, append(args, cmd...)...)
	e.cmd.Dir = funcDir
	e.cmd.Env = lambdaEnv(funcDir, cmd[0], env)
	e.cmd.Stdout = e.logs
	e.cmd.Stderr = e.logs
	e.cmd.WaitDelay = stopGrace // a runtime orphaned by a SIGKILL may hold the pipe
	e.cmd.SysProcAttr = rieSysProcAttr()

	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("RIE log (%s):\n%s", funcDir, e.Logs())
		}
	})
	e.Started = time.Now()
	if err := e.cmd.Start(); err != nil {
		t.Fatalf("starting RIE: %v", err)
	}
	go func() {
		e.waitErr = e.cmd.Wait()
		close(e.done)
	}()
	t.Cleanup(e.Stop)

	if err := e.waitReady(invokeAddr, apiAddr); err != nil {
		t.Fatal(err)
	}
	return e
}

// lambdaEnv is the runtime's environment, Lambda-like, with env last.
func lambdaEnv(funcDir, command string, env map[string]string) []string {
	m := map[string]string{
		"PATH":                        "/usr/bin:/bin",
		"LAMBDA_TASK_ROOT":            funcDir,
		"_HANDLER":                    filepath.Base(command),
		"AWS_LAMBDA_FUNCTION_TIMEOUT": "30",
		"AWS_REGION":                  "us-east-1",
		"AWS_DEFAULT_REGION":          "us-east-1",
		"TZ":                          ":UTC",
		"LANG":                        "en_US.UTF-8",
	}
	for k, v := range env {
		m[k] = v
	}
	out := make([]string, 0, len(m))
	for k, v := range m {
		out = append(out, k+"="+v)
	}
	slices.Sort(out)
	return out
}

// waitReady dials both ports until they accept connections, RIE exits or
// readyTimeout passes.
func (e *Emulator) waitReady(addrs ...string) error {
	ctx, cancel := context.WithTimeout(context.Background(), readyTimeout)
	defer cancel()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	var d net.Dialer
	for _, addr := range addrs {
		for {
			conn, err := d.DialContext(ctx, "tcp", addr)
			if err == nil {
				conn.Close()
				break
			}
			select {
			case <-e.done:
				return fmt.Errorf("RIE exited before listening on %s: %v\n%s", addr, e.waitErr, e.Logs())
			case <-ctx.Done():
				return fmt.Errorf("RIE did not listen on %s within %s: %v\n%s", addr, readyTimeout, err, e.Logs())
			case <-tick.C:
			}
		}
	}
	return nil
}

// Invoke sends one event and returns the function's response payload: the
// handler's JSON, or an error document for a function error (see
// DecodeResponse), whatever HTTP status RIE gave it. Invokes are serialised. An event that is not JSON or is
// over MaxEventBytes is refused, as Lambda would; RIE would accept or
// truncate it.
func (e *Emulator) Invoke(ctx context.Context, event []byte) ([]byte, error) {
	if len(event) > MaxEventBytes {
		return nil, fmt.Errorf("invoking the function: the event is %d bytes; Lambda accepts at most %d", len(event), MaxEventBytes)
	}
	if !json.Valid(event) {
		return nil, fmt.Errorf("invoking the function: the event is not valid JSON: %.80q", event)
	}
	e.invokeMu.Lock()
	defer e.invokeMu.Unlock()
	select {
	case <-e.done:
		return nil, fmt.Errorf("invoking the function: RIE has exited (%v)", e.waitErr)
	default:
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.InvokeURL, bytes.NewReader(event))
	if err != nil {
		return nil, fmt.Errorf("invoking the function: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := e.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("invoking the function through RIE at %s: %w", e.InvokeURL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil {
		return nil, fmt.Errorf("reading the invoke response: %w", err)
	}
	// A runtime that exits right after reporting a function error (as
	// after a panic) makes RIE answer 502 with the error document; a
	// handled one comes with 200. Both are the function's answer.
	if resp.StatusCode != http.StatusOK && asFunctionError(body) == nil {
		return nil, fmt.Errorf("invoking the function: RIE answered %s: %s", resp.Status, body)
	}
	return body, nil
}

// Logs returns what RIE and the function have written so far.
func (e *Emulator) Logs() string { return e.logs.String() }

// WaitLogs waits until the log holds every one of want, for up to d, and
// returns it: the function's output is copied by another goroutine and
// may come after the response it belongs to.
func (e *Emulator) WaitLogs(d time.Duration, want ...string) string {
	deadline := time.Now().Add(d)
	for {
		logs := e.Logs()
		all := true
		for _, w := range want {
			all = all && strings.Contains(logs, w)
		}
		if all || time.Now().After(deadline) {
			return logs
		}
		time.Sleep(10 * time.Millisecond) // polling the copied output, bounded by d
	}
}

// Processes lists RIE's descendants: the runtime and whatever it started.
func (e *Emulator) Processes() []int {
	if e.cmd.Process == nil {
		return nil
	}
	select {
	case <-e.done:
		return nil
	default:
		return descendants(e.cmd.Process.Pid)
	}
}

// Stop ends RIE: SIGTERM (RIE then SIGKILLs its runtime's process group),
// and if RIE is still running after a grace period, SIGKILL to the runtime's
// group and to RIE. It waits for RIE to exit. Processes the runtime started
// outside its group that outlive it are killed and reported as a test error:
// a runtime must not leak them. t.Cleanup calls Stop; calling it again does
// nothing.
func (e *Emulator) Stop() {
	e.stopOnce.Do(func() {
		procs := e.Processes()
		e.terminate()
		if left := reapLeftovers(procs, stopGrace); len(left) > 0 {
			e.t.Errorf("lambdatest: processes %v started by the runtime were still running after RIE stopped; killed them", left)
		}
	})
}

func (e *Emulator) terminate() {
	select {
	case <-e.done:
		return
	default:
	}
	_ = e.cmd.Process.Signal(sigTerm)
	t := time.NewTimer(stopGrace)
	defer t.Stop()
	select {
	case <-e.done:
		return
	case <-t.C:
	}
	// RIE's runtime is in its own process group, which a kill of RIE alone
	// would orphan.
	killGroupsBelow(e.cmd.Process.Pid)
	_ = e.cmd.Process.Kill()
	<-e.done
}

// reapLeftovers waits up to grace for pids to end, then SIGKILLs and
// returns those still alive.
func reapLeftovers(pids []int, grace time.Duration) []int {
	deadline := time.Now().Add(grace)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		var left []int
		for _, p := range pids {
			if alive(p) {
				left = append(left, p)
			}
		}
		if len(left) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			for _, p := range left {
				killProcess(p)
			}
			return left
		}
		<-tick.C
	}
}

// skipForeignArch skips the test when path is an ELF binary for another CPU
// than this one. Anything else (a script, a missing file) is left to RIE.
func skipForeignArch(t testing.TB, path string) {
	t.Helper()
	f, err := elf.Open(path)
	if err != nil {
		return
	}
	defer f.Close()
	want, known := map[string]elf.Machine{
		"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64, "386": elf.EM_386, "arm": elf.EM_ARM,
	}[runtime.GOARCH]
	if known && f.Machine != want {
		t.Skipf("SKIPPING: %s is a %s binary; this %s host cannot run it under RIE (it would need qemu-user-static binfmt, which lambdalens does not support)", path, f.Machine, runtime.GOARCH)
	}
}

func fileExists(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && !fi.IsDir()
}

// freeAddrs returns n distinct 127.0.0.1 addresses whose ports were free a
// moment ago (all are held open together, so they differ).
func freeAddrs(t testing.TB, n int) []string {
	t.Helper()
	var out []string
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("finding a free port: %v", err)
		}
		defer l.Close()
		out = append(out, "127.0.0.1:"+strconv.Itoa(l.Addr().(*net.TCPAddr).Port))
	}
	return out
}

// lockedBuffer is a bytes.Buffer safe for the exec copier and readers.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
