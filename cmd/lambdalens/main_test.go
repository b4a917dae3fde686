package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

var update = flag.Bool("update", false, "rewrite golden files with the current output")

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"lambdalens": func() { os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr)) },
	})
}

// TestScripts runs the CLI scenarios in testdata/script/*.txtar.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		UpdateScripts:       *update,
		RequireExplicitExec: true,
		Setup: func(env *testscript.Env) error {
			examples, err := filepath.Abs("../../examples")
			env.Setenv("EXAMPLES", examples)
			// Scripts that build share this machine's Go caches (their
			// $HOME is /no-home).
			for k, v := range goEnv(t) {
				env.Setenv(k, v)
			}
			return err
		},
	})
}

// goEnv returns the go command's caches and proxy settings, as the go
// command on PATH sees them; nil when there is no go command.
func goEnv(t *testing.T) map[string]string {
	goEnvOnce.Do(func() {
		keys := []string{"GOCACHE", "GOMODCACHE", "GOPROXY", "GOSUMDB", "GONOSUMDB", "GOPRIVATE", "GOFLAGS"}
		out, err := exec.Command("go", append([]string{"env"}, keys...)...).Output()
		if err != nil {
			t.Logf("go env: %v", err)
			return
		}
		goEnvVars = map[string]string{}
		for i, v := range strings.Split(strings.TrimSuffix(string(out), "\n"), "\n") {
			if i < len(keys) {
				goEnvVars[keys[i]] = v
			}
		}
	})
	return goEnvVars
}

var (
	goEnvOnce sync.Once
	goEnvVars map[string]string
)

// machineSpecific scrubs values that depend on the machine (the installed
// Go toolchain's version) from inspect output.
var machineSpecific = regexp.MustCompile(`"value": "[^"]*",\n(\s*)"source": "installed toolchain"`)

// TestInspectGolden compares `lambdalens inspect --json` on every example
// with testdata/golden/<example>.json. Run with -update to rewrite them.
func TestInspectGolden(t *testing.T) {
	examples, err := filepath.Glob("../../examples/*")
	examples = slices.DeleteFunc(examples, func(p string) bool {
		st, err := os.Stat(p)
		return err != nil || !st.IsDir() // examples/README.md
	})
	if err != nil || len(examples) < 7 {
		t.Fatalf("found %d examples (%v), want at least 7", len(examples), err)
	}
	for _, dir := range examples {
		name := filepath.Base(dir)
		t.Run(name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), []string{"inspect", "--json", dir}, &stdout, &stderr)
			wantCode := 0
			if name == "broken" {
				wantCode = 1
			}
			if code != wantCode {
				t.Fatalf("inspect %s exited %d, want %d\nstderr:\n%s", name, code, wantCode, stderr.String())
			}
			got := machineSpecific.ReplaceAll(stdout.Bytes(), []byte(`"value": "<installed>",`+"\n$1"+`"source": "installed toolchain"`))
			golden := filepath.Join("testdata", "golden", name+".json")
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("reading golden file (run with -update to create it): %v", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("inspect --json %s differs from %s (run go test -update to accept):\n%s", name, golden, lineDiff(want, got))
			}
		})
	}
}

// lineDiff shows the first differing lines of two outputs.
func lineDiff(want, got []byte) string {
	wl, gl := bytes.Split(want, []byte("\n")), bytes.Split(got, []byte("\n"))
	for i := 0; i < max(len(wl), len(gl)); i++ {
		var w, g []byte
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if !bytes.Equal(w, g) {
			return fmt.Sprintf("line %d:\n- %s\n+ %s", i+1, w, g)
		}
	}
	return ""
}

// TestExitCodes: 0 for success and help, 2 for a wrong command line, 1 for
// a failure, with the reason on stderr.
func TestExitCodes(t *testing.T) {
	empty := t.TempDir()
	fn := t.TempDir()
	if err := os.MkdirAll(filepath.Join(fn, "api"), 0o755); err != nil {
		t.Fatal(err)
	}
	handler := "package handler\n\nimport \"net/http\"\n\nfunc Handler(w http.ResponseWriter, r *http.Request) {}\n"
	notADir := filepath.Join(t.TempDir(), "file")
	for p, content := range map[string]string{filepath.Join(fn, "api", "x.go"): handler, notADir: "x"} {
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	missing := filepath.Join(empty, "missing")
	for _, tc := range []struct {
		args       []string
		code       int
		stderr     string
		stdoutNone string // must not appear on stdout
	}{
		// Help asked for is on stdout: testdata/script/help.txtar.
		{args: []string{"version", "extra"}, code: 2, stderr: "Usage: lambdalens version"},
		{args: []string{"build", "--jobs", "-1", fn}, code: 2, stderr: "--jobs must be 0 (one per CPU) or more, not -1"},
		{args: []string{"dev", missing}, code: 1, stderr: "no such file or directory"},
		{args: []string{"build", missing}, code: 1, stderr: "no such file or directory"},
		{args: []string{"inspect", missing}, code: 1, stderr: "no such file or directory"},
		{args: []string{"build", empty}, code: 0, stderr: "no functions found"},
		// Stopped before building: no table of functions that never ran.
		{args: []string{"build", "--out", filepath.Join(notADir, "out"), fn}, code: 1, stderr: "not a directory", stdoutNone: "FUNCTION"},
	} {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), tc.args, &stdout, &stderr)
		if code != tc.code || !bytes.Contains(stderr.Bytes(), []byte(tc.stderr)) {
			t.Errorf("lambdalens %q: exit %d, stderr %q; want exit %d and %q", tc.args, code, stderr.String(), tc.code, tc.stderr)
		}
		if tc.stdoutNone != "" && bytes.Contains(stdout.Bytes(), []byte(tc.stdoutNone)) {
			t.Errorf("lambdalens %q: stdout %q has %q", tc.args, stdout.String(), tc.stdoutNone)
		}
	}
}
