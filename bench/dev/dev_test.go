package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestNewFloor(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"go.mod":                "module example.com/m\n\ngo 1.26\n",
		"api/users/[id].go":     "package users\n",
		"api/users/[...all].go": "package users\n",
		"api/users/helper.go":   "package users\n",
	}
	for name, data := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	fl, err := newFloor(dir, "api/users/[id].go", "Handler", "/x?id=1", filepath.Join(dir, "bin"))
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(dir, "api", "users", "floor__id_.go"); fl.editFile != want {
		t.Errorf("editFile = %s, want %s", fl.editFile, want)
	}
	entries, err := os.ReadDir(filepath.Join(dir, "api", "users"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if want := []string{"floor_____all_.go", "floor__id_.go", "helper.go"}; !slices.Equal(names, want) {
		t.Errorf("folder holds %v, want %v", names, want)
	}
	main, err := os.ReadFile(filepath.Join(dir, "lambdalensbenchfloor", "main.go"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`handler "example.com/m/api/users"`, "handler.Handler)"} {
		if !strings.Contains(string(main), want) {
			t.Errorf("the floor's main lacks %q:\n%s", want, main)
		}
	}

	if _, err := newFloor(dir, "api/[group]/x.go", "Handler", "/", filepath.Join(dir, "bin")); err == nil {
		t.Error("newFloor accepted a handler in a folder the go command cannot import")
	}
}

func TestParseWrk(t *testing.T) {
	out := `Running 1s test @ http://127.0.0.1:3911/api/users/42
  1 threads and 2 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   351.52us  593.13us  10.00ms   98.07%
    Req/Sec     6.70k     1.14k    8.84k    70.00%
  Latency Distribution
     50%  273.00us
     75%  343.00us
     90%  435.00us
     99%    2.20ms
  6661 requests in 1.00s, 1.83MB read
Requests/sec:   6650.76
Transfer/sec:      1.83MB
`
	res, err := parseWrk(out)
	if err != nil {
		t.Fatal(err)
	}
	if res.p50 != 273*time.Microsecond || res.p99 != 2200*time.Microsecond || res.rps != 6650.76 {
		t.Errorf("parsed %+v, want p50 273µs, p99 2.2ms, 6650.76 req/s", res)
	}
	for name, bad := range map[string]string{
		"non-2xx":       strings.Replace(out, "  6661 requests", "  Non-2xx or 3xx responses: 6661\n  6661 requests", 1),
		"socket errors": strings.Replace(out, "  6661 requests", "  Socket errors: connect 0, read 3, write 0, timeout 0\n  6661 requests", 1),
		"no --latency":  strings.Replace(out, "     50%  273.00us\n", "", 1),
		"bad unit":      strings.Replace(out, "2.20ms", "2.20m", 1),
	} {
		if res, err := parseWrk(bad); err == nil {
			t.Errorf("%s: parsed %+v, want an error", name, res)
		}
	}
	if d, err := wrkDuration("1.50s"); err != nil || d != 1500*time.Millisecond {
		t.Errorf("wrkDuration(1.50s) = %v, %v", d, err)
	}
}
