package python

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lambdalens/lambdalens/runtimes/lambdatest"
)

// demoWheel writes a PEP 503 index under dir serving one wheel,
// llidx-demo 1.0 (module llidx_demo, VALUE = 42).
func demoWheel(t *testing.T, dir string) {
	t.Helper()
	members := [][2]string{
		{"llidx_demo/__init__.py", "VALUE = 42\n"},
		{"llidx_demo-1.0.dist-info/METADATA", "Metadata-Version: 2.1\nName: llidx-demo\nVersion: 1.0\n"},
		{"llidx_demo-1.0.dist-info/WHEEL", "Wheel-Version: 1.0\nGenerator: lambdalens-test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"},
	}
	var record strings.Builder
	for _, m := range members {
		sum := sha256.Sum256([]byte(m[1]))
		fmt.Fprintf(&record, "%s,sha256=%s,%d\n", m[0], base64.RawURLEncoding.EncodeToString(sum[:]), len(m[1]))
	}
	record.WriteString("llidx_demo-1.0.dist-info/RECORD,,\n")
	members = append(members, [2]string{"llidx_demo-1.0.dist-info/RECORD", record.String()})
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, m := range members {
		w, err := zw.Create(m[0])
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(m[1]))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(buf.Bytes())
	const whl = "llidx_demo-1.0-py3-none-any.whl"
	writeFiles(t, dir, map[string]string{
		"files/" + whl: buf.String(),
		"simple/llidx-demo/index.html": fmt.Sprintf("<!DOCTYPE html><html><body><a href=\"../../files/%s#sha256=%s\">%s</a></body></html>\n",
			whl, hex.EncodeToString(sum[:]), whl),
		"simple/index.html": "<!DOCTYPE html><html><body><a href=\"llidx-demo/\">llidx-demo</a></body></html>\n",
	})
}

// serveIndex serves dir on 127.0.0.1 until the test ends and returns the
// simple index's URL.
func serveIndex(t *testing.T, dir string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.FileServer(http.Dir(dir))}
	done := make(chan struct{})
	go func() { defer close(done); srv.Serve(ln) }()
	t.Cleanup(func() { srv.Close(); <-done })
	return "http://" + ln.Addr().String() + "/simple"
}

// Issue (review): with uv and a uv.lock, a package of an index other than
// PyPI was looked up on PyPI ("not found in the package registry"), and a
// path dependency failed to build.
func TestBuildUVLockLocalAndIndex(t *testing.T) {
	lambdatest.RequirePyPI(t)
	uvBin := uvForTests(t)
	if uvBin == "" {
		t.Skip("no uv")
	}
	index := serveIndex(t, func() string { d := t.TempDir(); demoWheel(t, d); return d }())
	root := t.TempDir()
	files := map[string]string{
		"pyproject.toml": "[project]\nname = \"app\"\nversion = \"0\"\nrequires-python = \">=3.9\"\n" +
			"dependencies = [\"llidx-demo\", \"mylib\"]\n\n" +
			"[[tool.uv.index]]\nname = \"local\"\nurl = \"" + index + "\"\nexplicit = true\n\n" +
			"[tool.uv.sources]\nllidx-demo = { index = \"local\" }\nmylib = { path = \"lib/mylib\" }\n",
		"api/index.py": "app = None\n",
	}
	for k, v := range localLib("mylib", "7") {
		files["lib/"+k] = v
	}
	writeFiles(t, root, files)
	lock := exec.Command(uvBin, "lock", "--quiet")
	lock.Dir = root
	if out, err := lock.CombinedOutput(); err != nil {
		t.Fatalf("uv lock: %v\n%s", err, out)
	}
	b, _ := os.ReadFile(filepath.Join(root, "uv.lock"))
	if !strings.Contains(string(b), "127.0.0.1") {
		t.Fatalf("uv.lock does not lock llidx-demo to the local index:\n%s", b)
	}
	env := testInstallers(t)["uv"]
	dir, _ := mustBuild(t, &Runtime{}, buildSpec{root: root, file: "api/index.py", env: env})
	for _, p := range []string{"llidx_demo/__init__.py", "mylib/__init__.py"} {
		if _, err := os.Stat(filepath.Join(dir, vendorDir, filepath.FromSlash(p))); err != nil {
			t.Errorf("%s is not vendored: %v", p, err)
		}
	}
}

// A package the index does not have is reported as such, not as one
// without a wheel for the target.
func TestNotInIndex(t *testing.T) {
	for _, tc := range []struct{ output, want string }{
		{"  cause: Because nonexistent-pkg was not found in the package registry and you require nonexistent-pkg", "nonexistent-pkg"},
		{"  ╰─▶ Because there is no version of flask==99 and you require flask==99", "flask==99"},
		{"  cause: Because docopt==0.6.2 has no usable wheels and you require docopt==0.6.2", ""},
		{"ERROR: No matching distribution found for docopt==0.6.2", ""},
	} {
		if got := notInIndex(tc.output); got != tc.want {
			t.Errorf("notInIndex(%q) = %q, want %q", tc.output, got, tc.want)
		}
	}
	err := runInstall(t.Context(), installPlan{cmds: []*exec.Cmd{exec.Command("false")}}, func(*exec.Cmd) ([]byte, error) {
		return []byte("  cause: Because llidx-demo was not found in the package registry and you require llidx-demo==1.0"), errors.New("exit status 1")
	}, "installing", pyTarget{version: "3.12", wheelArch: "x86_64", glibcMinor: 34}, quietLogger())
	if !errors.Is(err, errNotInIndex) || errors.Is(err, errNoWheel) || strings.Contains(err.Error(), "only binary wheels") {
		t.Errorf("got %v, want errNotInIndex and no word of wheels", err)
	}
}
