package main

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lambdalens/lambdalens/runtimes/lambdatest"
)

// Helpers for examples_build_test.go: copying an example, running the CLI
// in process, reading the Build Output and running functions under the
// real Lambda emulator (Python functions with lambdatest.StartPython, as
// in runtimes/python's tests).

const (
	// buildTimeout bounds one `lambdalens build`; the first build of a
	// framework example installs its dependencies from PyPI.
	buildTimeout = 5 * time.Minute
	// invokeTimeout bounds one invoke, cold start included.
	invokeTimeout = time.Minute
)

// needToolchains skips the end-to-end tests in -short mode and without
// a go command.
func needToolchains(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("SKIPPING: end-to-end builds of the examples run the go and python toolchains; not in -short mode")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("SKIPPING: no go command on PATH")
	}
}

// copyExample copies examples/<name> to a new directory <tmp>/<as> and
// returns the copy's root. With pyVersion set it writes a .python-version
// holding it first.
func copyExample(t *testing.T, name, as, pyVersion string) string {
	t.Helper()
	root := filepath.Join(t.TempDir(), as)
	if err := os.CopyFS(root, os.DirFS(filepath.Join("..", "..", "examples", name))); err != nil {
		t.Fatalf("copying example %s: %v", name, err)
	}
	if pyVersion != "" {
		if err := os.WriteFile(filepath.Join(root, ".python-version"), []byte(pyVersion+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// treeHashes maps every file under root, .vercel/ excepted, to the
// SHA-256 of its contents and its mode.
func treeHashes(t *testing.T, root string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if d.IsDir() {
			if rel == ".vercel" {
				return filepath.SkipDir
			}
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		sum := sha256.Sum256(data)
		out[filepath.ToSlash(rel)] = hex.EncodeToString(sum[:]) + " " + info.Mode().String()
		return nil
	})
	if err != nil {
		t.Fatalf("hashing %s: %v", root, err)
	}
	return out
}

// checkTreeUnchanged fails the test when a file outside .vercel/ was
// added, removed or changed since before was taken.
func checkTreeUnchanged(t *testing.T, root string, before map[string]string) {
	t.Helper()
	after := treeHashes(t, root)
	for name, h := range before {
		if a, ok := after[name]; !ok {
			t.Errorf("the build removed the source file %s", name)
		} else if a != h {
			t.Errorf("the build changed the source file %s", name)
		}
	}
	for name := range after {
		if _, ok := before[name]; !ok {
			t.Errorf("the build wrote %s into the project, outside .vercel/", name)
		}
	}
}

// lockedOutput is a bytes.Buffer safe for concurrent writers.
type lockedOutput struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedOutput) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedOutput) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// runCLI runs the CLI in process with args and returns its stdout; a
// non-zero exit fails the test with both outputs.
func runCLI(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
	defer cancel()
	var stdout, stderr lockedOutput
	start := time.Now()
	if code := run(ctx, args, &stdout, &stderr); code != 0 {
		t.Fatalf("lambdalens %s exited %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, stdout.String(), stderr.String())
	}
	t.Logf("lambdalens %s: %s", strings.Join(args, " "), time.Since(start).Round(time.Millisecond))
	return stdout.String()
}

// funcConfig is the part of .vc-config.json the tests check.
type funcConfig struct {
	Handler         string `json:"handler"`
	Runtime         string `json:"runtime"`
	RuntimeLanguage string `json:"runtimeLanguage"`
	Architecture    string `json:"architecture"`
	Memory          int    `json:"memory"`
	// MaxDuration is a number of seconds (float64) or "max".
	MaxDuration any               `json:"maxDuration"`
	Environment map[string]string `json:"environment"`
}

// outFuncDir is the .func directory of function id in the output outDir.
func outFuncDir(outDir, id string) string {
	return filepath.Join(outDir, "functions", filepath.FromSlash(id)+".func")
}

// decodeJSONFile decodes the JSON file into v.
func decodeJSONFile(t *testing.T, file string, v any) {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("decoding %s: %v\n%s", file, err, data)
	}
}

// readVCConfig reads the .vc-config.json of the .func directory dir.
func readVCConfig(t *testing.T, dir string) funcConfig {
	t.Helper()
	var c funcConfig
	decodeJSONFile(t, filepath.Join(dir, ".vc-config.json"), &c)
	return c
}

// outputRoute is one entry of config.json "routes".
type outputRoute struct {
	Src      string            `json:"src"`
	Dest     string            `json:"dest"`
	Status   int               `json:"status"`
	Headers  map[string]string `json:"headers"`
	Continue bool              `json:"continue"`
	Handle   string            `json:"handle"`
}

// outputRoutes reads config.json of the output outDir and checks its
// version.
func outputRoutes(t *testing.T, outDir string) []outputRoute {
	t.Helper()
	var cfg struct {
		Version int           `json:"version"`
		Routes  []outputRoute `json:"routes"`
	}
	decodeJSONFile(t, filepath.Join(outDir, "config.json"), &cfg)
	if cfg.Version != 3 {
		t.Errorf("config.json version = %d, want 3", cfg.Version)
	}
	return cfg.Routes
}

// matchRoute returns the first route for which keep is true and whose
// src matches path, and the submatches. Routes whose src Go's regexp
// cannot compile are passed over.
func matchRoute(routes []outputRoute, path string, keep func(outputRoute) bool) (outputRoute, []string, bool) {
	for _, r := range routes {
		if r.Src == "" || !keep(r) {
			continue
		}
		re, err := regexp.Compile(r.Src)
		if err != nil {
			continue
		}
		if m := re.FindStringSubmatch(path); m != nil {
			return r, m, true
		}
	}
	return outputRoute{}, nil, false
}

// rewriteTarget applies the first route with a dest that matches path,
// as the platform would, and returns the destination ("" when none
// matches).
func rewriteTarget(routes []outputRoute, path string) string {
	r, m, ok := matchRoute(routes, path, func(r outputRoute) bool { return r.Dest != "" })
	if !ok {
		return ""
	}
	dest := r.Dest
	for i := len(m) - 1; i >= 1; i-- { // $10 before $1
		dest = strings.ReplaceAll(dest, "$"+strconv.Itoa(i), m[i])
	}
	return dest
}

// startEmulated runs the function in dir (a .func directory or an
// unzipped artifact) under RIE the way Lambda would, from its
// .vc-config.json: a provided.* runtime runs the handler file as the
// bootstrap; a python* runtime runs awslambdaric (outside the artifact,
// as the managed runtime's bootstrap is) with the handler, the function's
// environment and AWS_EXECUTION_ENV. vc is passed separately because a
// zip holds no .vc-config.json.
func startEmulated(t *testing.T, dir string, vc funcConfig) *lambdatest.Emulator {
	t.Helper()
	env := map[string]string{}
	for k, v := range vc.Environment {
		env[k] = v
	}
	switch {
	case strings.HasPrefix(vc.Runtime, "provided."):
		return lambdatest.Start(t, dir, []string{vc.Handler}, env)
	case strings.HasPrefix(vc.Runtime, "python"):
		return lambdatest.StartPython(t, dir, vc.Handler, vc.Runtime, env)
	}
	t.Fatalf("%s: no way to run runtime %q under the emulator", dir, vc.Runtime)
	return nil
}

// invoke sends one HTTP request as an event of kind and returns the
// decoded response and the raw payload. A function error fails the test.
func invokeHTTP(t *testing.T, em *lambdatest.Emulator, kind lambdatest.EventKind, method, path string, headers map[string][]string, body []byte) (lambdatest.Response, []byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), invokeTimeout)
	defer cancel()
	raw, err := em.Invoke(ctx, lambdatest.Event(kind, method, path, headers, body))
	if err != nil {
		t.Fatalf("%s %s %s: %v", kind, method, path, err)
	}
	res, err := lambdatest.DecodeResponse(kind, raw)
	if err != nil {
		t.Fatalf("%s %s %s: %v\nraw answer: %s", kind, method, path, err, raw)
	}
	return res, raw
}

// unzip extracts zipFile into a new directory with the modes of its
// entries and returns the directory and the entry names.
func unzipArtifact(t *testing.T, zipFile string) (string, []string) {
	t.Helper()
	zr, err := zip.OpenReader(zipFile)
	if err != nil {
		t.Fatalf("opening %s: %v", zipFile, err)
	}
	defer zr.Close()
	dir := t.TempDir()
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
		if !filepath.IsLocal(f.Name) {
			t.Fatalf("%s: entry %q escapes the extraction directory", zipFile, f.Name)
		}
		dst := filepath.Join(dir, filepath.FromSlash(f.Name))
		if f.FileInfo().IsDir() {
			if err := os.MkdirAll(dst, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := extractFile(f, dst); err != nil {
			t.Fatalf("extracting %s from %s: %v", f.Name, zipFile, err)
		}
	}
	return dir, names
}

func extractFile(f *zip.File, dst string) error {
	rc, err := f.Open()
	if err != nil {
		return err
	}
	defer rc.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, f.Mode().Perm())
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, rc); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// readFile returns a file's contents, failing the test when it cannot be
// read.
func mustRead(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// buildEvent is one line of `lambdalens build --json`.
type buildEvent struct {
	Type     string `json:"type"`
	Function string `json:"function"`
}

// buildSummary is the last line of `lambdalens build --json`.
type buildSummary struct {
	OK        bool `json:"ok"`
	Functions []struct {
		Function string `json:"function"`
		Cached   bool   `json:"cached"`
	} `json:"functions"`
}

// buildJSON is the parsed output of `lambdalens build --json`.
type buildJSON struct {
	// final are the events that end a function's build, in order.
	final   []buildEvent
	summary buildSummary
}

// finalIDs returns the functions of the final events, sorted.
func (b buildJSON) finalIDs() []string {
	var ids []string
	for _, e := range b.final {
		ids = append(ids, e.Function)
	}
	slices.Sort(ids)
	return ids
}

// parseBuildJSON reads the JSON lines of a build: every line must be an
// object with a type, and the last one the summary.
func parseBuildJSON(t *testing.T, stdout string) buildJSON {
	t.Helper()
	var b buildJSON
	lines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
	for i, line := range lines {
		var e buildEvent
		if err := json.Unmarshal([]byte(line), &e); err != nil || e.Type == "" {
			t.Fatalf("build --json line %d is not an event (%v): %q", i+1, err, line)
		}
		switch e.Type {
		case "summary":
			if i != len(lines)-1 {
				t.Errorf("build --json: the summary is line %d of %d, want the last", i+1, len(lines))
			}
			if err := json.Unmarshal([]byte(line), &b.summary); err != nil {
				t.Fatalf("build --json summary: %v: %q", err, line)
			}
		case "cached", "done", "failed":
			b.final = append(b.final, e)
		}
	}
	if lines[len(lines)-1] == "" || !strings.Contains(lines[len(lines)-1], `"type":"summary"`) {
		t.Fatalf("build --json printed no summary:\n%s", stdout)
	}
	return b
}

// checkZipTimes fails the test unless every entry of zipFile has the
// modification time want.
func checkZipTimes(t *testing.T, zipFile string, want time.Time) {
	t.Helper()
	zr, err := zip.OpenReader(zipFile)
	if err != nil {
		t.Fatalf("opening %s: %v", zipFile, err)
	}
	defer zr.Close()
	for _, f := range zr.File {
		if !f.Modified.Equal(want) {
			t.Errorf("%s: entry %s modified %s, want %s", zipFile, f.Name, f.Modified, want)
		}
	}
}
