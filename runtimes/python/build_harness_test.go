package python

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/lambdalens/lambdalens/runtimes"
	"github.com/lambdalens/lambdalens/runtimes/lambdatest"
)

// copyTestdata copies testdata/build/<name> into a fresh temporary project
// root.
func copyTestdata(t *testing.T, name string) string {
	t.Helper()
	root := t.TempDir()
	if err := os.CopyFS(root, os.DirFS(filepath.Join("testdata", "build", name))); err != nil {
		t.Fatal(err)
	}
	return root
}

// buildSpec is one Build call of a test.
type buildSpec struct {
	root, file string
	ep         runtimes.Entrypoint
	arch       string
	cacheDir   string
	env        []string
}

// mustBuild builds spec into a fresh .func directory for the host's Python.
func mustBuild(t *testing.T, rt *Runtime, s buildSpec) (string, *runtimes.Artifact) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "fn.func")
	if s.cacheDir == "" {
		s.cacheDir = t.TempDir()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	art, err := rt.Build(ctx, runtimes.BuildRequest{
		Root: s.root, File: s.file, Entrypoint: s.ep, Arch: s.arch, OutDir: out,
		PythonVersion: lambdatest.HostPython(t), CacheDir: s.cacheDir, Env: s.env,
	})
	if err != nil {
		t.Fatalf("building %s: %v", s.file, err)
	}
	return out, art
}

// startFunction runs a built .func under RIE with awslambdaric as the
// managed runtime's bootstrap and the .vc-config environment.
func startFunction(t *testing.T, funcDir string, art *runtimes.Artifact) *lambdatest.Emulator {
	t.Helper()
	return lambdatest.StartPython(t, funcDir, art.Handler, art.Runtime, art.Environment)
}

// functionErrorType returns the errorType of a function error document
// (awslambdaric's carries requestId besides Lambda's usual keys), or "".
func functionErrorType(raw []byte) string {
	var doc struct {
		ErrorType    string `json:"errorType"`
		ErrorMessage string `json:"errorMessage"`
		StatusCode   int    `json:"statusCode"`
	}
	if json.Unmarshal(raw, &doc) != nil || doc.StatusCode != 0 {
		return ""
	}
	return doc.ErrorType
}

// invokeHTTP sends one HTTP request as an event of kind and decodes the
// answer.
func invokeHTTP(t *testing.T, em *lambdatest.Emulator, kind lambdatest.EventKind, method, path string, headers map[string][]string, body []byte) lambdatest.Response {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	raw, err := em.Invoke(ctx, lambdatest.Event(kind, method, path, headers, body))
	if err != nil {
		t.Fatalf("%s %s %s: %v", kind, method, path, err)
	}
	if typ := functionErrorType(raw); typ != "" {
		t.Fatalf("%s %s %s: function error %s: %s", kind, method, path, typ, raw)
	}
	res, err := lambdatest.DecodeResponse(kind, raw)
	if err != nil {
		t.Fatalf("%s %s %s: %v\nraw: %s", kind, method, path, err, raw)
	}
	return res
}
