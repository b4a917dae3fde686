package benchkit

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestMedianAndPercentile(t *testing.T) {
	ms := func(ns ...int) []time.Duration {
		var ds []time.Duration
		for _, n := range ns {
			ds = append(ds, time.Duration(n)*time.Millisecond)
		}
		return ds
	}
	tests := []struct {
		name   string
		in     []time.Duration
		median time.Duration
		p50    time.Duration
		p99    time.Duration
	}{
		{"empty", nil, 0, 0, 0},
		{"one", ms(7), 7 * time.Millisecond, 7 * time.Millisecond, 7 * time.Millisecond},
		{"odd unsorted", ms(9, 1, 5), 5 * time.Millisecond, 5 * time.Millisecond, 9 * time.Millisecond},
		{"even", ms(1, 2, 3, 10), 2500 * time.Microsecond, 2 * time.Millisecond, 10 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Median(tt.in); got != tt.median {
				t.Errorf("Median = %v, want %v", got, tt.median)
			}
			sorted := append([]time.Duration(nil), tt.in...)
			for i := range sorted {
				for j := i + 1; j < len(sorted); j++ {
					if sorted[j] < sorted[i] {
						sorted[i], sorted[j] = sorted[j], sorted[i]
					}
				}
			}
			if got := Percentile(sorted, 50); got != tt.p50 {
				t.Errorf("Percentile(50) = %v, want %v", got, tt.p50)
			}
			if got := Percentile(sorted, 99); got != tt.p99 {
				t.Errorf("Percentile(99) = %v, want %v", got, tt.p99)
			}
		})
	}
	in := ms(3, 1, 2)
	Median(in)
	if in[0] != 3*time.Millisecond || in[1] != time.Millisecond {
		t.Errorf("Median reordered its input: %v", in)
	}
}

func TestMs(t *testing.T) {
	tests := []struct {
		in   time.Duration
		want string
	}{
		{142 * time.Microsecond, "0.142 ms"},
		{28400 * time.Microsecond, "28.4 ms"},
		{1412 * time.Millisecond, "1412 ms"},
	}
	for _, tt := range tests {
		if got := Ms(tt.in); got != tt.want {
			t.Errorf("Ms(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestCheckLoopback(t *testing.T) {
	tests := []struct {
		url string
		ok  bool
	}{
		{"http://127.0.0.1:3000/api/hello", true},
		{"http://127.0.0.1/", true},
		{"http://localhost:3000/", false},
		{"http://10.0.0.1:3000/", false},
		{"https://127.0.0.1:3000/", false},
		{"http://example.com/", false},
	}
	for _, tt := range tests {
		err := CheckLoopback(tt.url)
		if (err == nil) != tt.ok {
			t.Errorf("CheckLoopback(%q) = %v, want ok=%v", tt.url, err, tt.ok)
		}
		if err != nil && !errors.Is(err, ErrNotLoopback) && tt.url != "" {
			t.Errorf("CheckLoopback(%q) = %v, want ErrNotLoopback", tt.url, err)
		}
	}
}

func TestEditor(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "hello.go")
	orig := "package h\n\nconst a = \"message\"\nconst b = \"message\"\n"
	if err := os.WriteFile(path, []byte(orig), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := NewEditor(path, "absent", false); err == nil {
		t.Fatal("NewEditor accepted a marker the file does not contain")
	}
	for _, rename := range []bool{false, true} {
		e, err := NewEditor(path, `"message`, rename)
		if err != nil {
			t.Fatal(err)
		}
		for i := 1; i <= 2; i++ {
			tag := Tag("s", i)
			if err := e.Write(tag); err != nil {
				t.Fatal(err)
			}
			data, _ := os.ReadFile(path)
			// Only the first occurrence changes, and every version starts
			// from the original (no tag piles up on another).
			want := strings.Replace(orig, `"message`, `"message`+tag, 1)
			if string(data) != want {
				t.Errorf("rename=%v version %d:\n%s\nwant\n%s", rename, i, data, want)
			}
		}
		if err := e.Restore(); err != nil {
			t.Fatal(err)
		}
		if data, _ := os.ReadFile(path); string(data) != orig {
			t.Errorf("Restore left %q", data)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("the editor left %d files in the folder, want 1", len(entries))
	}
	if Tag("s", 1) == Tag("s", 10)[:len(Tag("s", 1))] {
		t.Error("a tag is a prefix of another")
	}
}

func TestCopyTreeSkipsBuildOutput(t *testing.T) {
	src, dst := t.TempDir(), filepath.Join(t.TempDir(), "copy")
	for _, f := range []string{"api/hello.go", ".vercel/output/config.json", "node_modules/x/index.js", "go.mod"} {
		p := filepath.Join(src, f)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(f), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := CopyTree(src, dst); err != nil {
		t.Fatal(err)
	}
	for f, want := range map[string]bool{"api/hello.go": true, "go.mod": true, ".vercel": false, "node_modules": false} {
		_, err := os.Stat(filepath.Join(dst, f))
		if (err == nil) != want {
			t.Errorf("%s copied = %v, want %v", f, err == nil, want)
		}
	}
}

func TestPollFor(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) < 4 {
			http.Error(w, "old", http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte("new version _bench_s001"))
	}))
	defer srv.Close()
	client := NewClient(5 * time.Second)
	_, polls, err := PollFor(context.Background(), client, srv.URL, "_bench_s001", Poll{Interval: time.Millisecond, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if polls != 4 {
		t.Errorf("PollFor took %d requests, want 4", polls)
	}
	_, polls, err = PollFor(context.Background(), client, srv.URL, "never", Poll{Interval: time.Millisecond, MaxRequests: 3})
	if err == nil || polls != 3 {
		t.Errorf("PollFor for absent text = %d polls, %v; want 3 polls and an error", polls, err)
	}
}

// TestMain doubles as the child process of TestProcStop: a Go program
// decides its SIGINT handling whatever disposition it inherited, which a
// shell script cannot.
func TestMain(m *testing.M) {
	switch os.Getenv("BENCHKIT_TEST_CHILD") {
	case "exit-on-interrupt":
		c := make(chan os.Signal, 1)
		signal.Notify(c, os.Interrupt)
		fmt.Println("ready")
		<-c
		os.Exit(0)
	case "ignore-interrupt":
		signal.Ignore(os.Interrupt)
		fmt.Println("ready")
		time.Sleep(time.Hour) // killed by the test long before
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func TestProcStop(t *testing.T) {
	tests := []struct {
		child string
		grace time.Duration
		clean bool
	}{
		// A generous grace for a loaded machine; the child exits at once.
		{"exit-on-interrupt", 10 * time.Second, true},
		{"ignore-interrupt", 200 * time.Millisecond, false},
	}
	for _, tt := range tests {
		t.Run(tt.child, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), "BENCHKIT_TEST_CHILD="+tt.child)
			stdout, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			p, err := Start(cmd)
			if err != nil {
				t.Fatal(err)
			}
			// Signal only once the child has set up its handling.
			line, err := bufio.NewReader(stdout).ReadString('\n')
			if err != nil || line != "ready\n" {
				t.Fatalf("reading the child's first line: %q, %v", line, err)
			}
			err = p.Stop(tt.grace)
			if (err == nil) != tt.clean {
				t.Errorf("Stop = %v, want clean=%v", err, tt.clean)
			}
			select {
			case <-p.Done():
			default:
				t.Error("Stop returned before the process exited")
			}
		})
	}
}

func TestAlternateEdits(t *testing.T) {
	var order []string
	ll := func(tag string) (time.Duration, error) {
		order = append(order, "ll "+tag)
		return time.Duration(len(order)) * time.Millisecond, nil
	}
	floor := func(tag string) (FloorSample, error) {
		order = append(order, "floor "+tag)
		return FloorSample{Total: 10 * time.Millisecond, Build: 7 * time.Millisecond}, nil
	}
	res, err := AlternateEdits(t.Context(), &Dev{}, 2, ll, floor)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"ll " + Tag("w", 0), "floor " + Tag("w", 0), "ll " + Tag("s", 1), "floor " + Tag("s", 1), "ll " + Tag("s", 2), "floor " + Tag("s", 2)}
	if !slices.Equal(order, want) {
		t.Errorf("samples ran in the order %q, want %q (one warm-up each, then alternating)", order, want)
	}
	// The warm-up is not kept.
	if !slices.Equal(res.LL, []time.Duration{3 * time.Millisecond, 5 * time.Millisecond}) || len(res.Floor) != 2 || len(res.FloorBuild) != 2 || res.FloorBuild[0] != 7*time.Millisecond {
		t.Errorf("result = %+v", res)
	}
}

func TestPollForWake(t *testing.T) {
	var ready atomic.Bool
	served := make(chan struct{}, 8)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() { served <- struct{}{} }()
		if ready.Load() {
			io.WriteString(w, "new version")
			return
		}
		io.WriteString(w, "old version")
	}))
	defer srv.Close()
	wake := make(chan struct{}, 1)
	done := make(chan error, 1)
	var n int
	go func() {
		var err error
		// An interval far longer than the test: only Wake can bring the
		// second request.
		_, n, err = PollFor(t.Context(), srv.Client(), srv.URL, "new", Poll{Interval: time.Hour, Timeout: time.Minute, Wake: wake})
		done <- err
	}()
	<-served // the old version was served
	ready.Store(true)
	wake <- struct{}{}
	if err := <-done; err != nil || n != 2 {
		t.Errorf("PollFor = %d requests, %v; want the new version by the request Wake sent", n, err)
	}
}

func TestWalkVCConfigs(t *testing.T) {
	funcs := t.TempDir()
	files := map[string]string{
		"api/a.func/.vc-config.json": `{"handler":"bootstrap","filePathMap":{"bootstrap":"/tmp/b"}}`,
		"api/b.func/.vc-config.json": `{"handler":"vc__handler__python.vc_handler"}`,
		"api/b.func/other.json":      `{"handler":"not a config"}`,
	}
	for name, body := range files {
		p := filepath.Join(funcs, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	err := WalkVCConfigs(funcs, func(path string, cfg VCConfig) error {
		got = append(got, filepath.Base(filepath.Dir(path))+" "+cfg.Handler+" "+cfg.FilePathMap["bootstrap"])
		return nil
	})
	want := []string{"a.func bootstrap /tmp/b", "b.func vc__handler__python.vc_handler "}
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("WalkVCConfigs = %q, %v; want %q", got, err, want)
	}
	bad := filepath.Join(funcs, "api/c.func/.vc-config.json")
	os.MkdirAll(filepath.Dir(bad), 0o755)
	os.WriteFile(bad, []byte("{"), 0o644)
	if err := WalkVCConfigs(funcs, func(string, VCConfig) error { return nil }); err == nil || !strings.Contains(err.Error(), "c.func") {
		t.Errorf("a broken config: %v, want an error naming it", err)
	}
}
