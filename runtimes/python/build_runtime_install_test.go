package python

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lambdalens/lambdalens/runtimes"
	"github.com/lambdalens/lambdalens/runtimes/lambdatest"
)

func TestSplitBundle(t *testing.T) {
	dists := []distribution{
		{name: "private-lib", size: 50},
		{name: "big", size: 100},
		{name: "small", size: 10},
		{name: "medium", size: 30},
	}
	public := map[string]bool{"big": true, "small": true, "medium": true}
	names := func(ds []distribution) []string {
		var out []string
		for _, d := range ds {
			out = append(out, d.name)
		}
		slices.Sort(out)
		return out
	}
	for _, tc := range []struct {
		budget             int64
		bundled, atRuntime []string
	}{
		// Private packages always stay; public ones fill the budget,
		// smallest first.
		{budget: 45, bundled: []string{"medium", "private-lib", "small"}, atRuntime: []string{"big"}},
		{budget: 15, bundled: []string{"private-lib", "small"}, atRuntime: []string{"big", "medium"}},
		{budget: -5, bundled: []string{"private-lib"}, atRuntime: []string{"big", "medium", "small"}},
		{budget: 1000, bundled: []string{"big", "medium", "private-lib", "small"}},
	} {
		b, r := splitBundle(dists, public, tc.budget)
		if !slices.Equal(names(b), tc.bundled) || !slices.Equal(names(r), tc.atRuntime) {
			t.Errorf("budget %d: bundled %v, at runtime %v; want %v and %v", tc.budget, names(b), names(r), tc.bundled, tc.atRuntime)
		}
	}
	if got := normalizeName("Zope.Interface__x"); got != "zope-interface-x" {
		t.Errorf("normalizeName = %q", got)
	}
}

// TestRuntimeInstall builds a function with a uv.lock as if it were over
// Lambda's limit (the threshold lowered to one byte): its public packages
// are left out of _vendor, uv and the config are shipped, and under the
// emulator the first invocation installs them with uv from PyPI into the
// temporary directory, where the app imports them from. The runtime's
// interpreter has an older six of its own (as Lambda's has its boto3, six
// and urllib3): the locked version must win over it.
func TestRuntimeInstall(t *testing.T) {
	lambdatest.RequirePyPI(t)
	uvBin := uvForTests(t)
	if uvBin == "" {
		t.Skip("SKIPPING: no uv to write the test's uv.lock with")
	}
	// pyproject.toml and uv.lock at the root, and next to the entrypoint
	// (the nearest declaration wins): uv syncs in their folder.
	for _, projectDir := range []string{".", "api"} {
		t.Run(projectDir, func(t *testing.T) { testRuntimeInstall(t, uvBin, projectDir) })
	}
}

func testRuntimeInstall(t *testing.T, uvBin, projectDir string) {
	root := t.TempDir()
	writeFiles(t, root, map[string]string{
		path.Join(projectDir, "pyproject.toml"): "[project]\nname = \"big\"\nversion = \"0\"\nrequires-python = \">=3.9\"\ndependencies = [\"six==1.16.0\", \"idna==3.10\"]\n",
		"api/index.py": `import os

import idna
import six


def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [("six %s idna %s in %s" % (six.__version__, idna.__version__, os.path.dirname(os.path.dirname(six.__file__)))).encode()]
`,
	})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	lock := exec.CommandContext(ctx, uvBin, "lock", "--quiet")
	lock.Dir = filepath.Join(root, projectDir)
	if out, err := lock.CombinedOutput(); err != nil {
		t.Fatalf("uv lock: %v\n%s", err, out)
	}
	tools := defaultBuildTools()
	tools.runtimeInstallAbove = 1
	out := filepath.Join(t.TempDir(), "fn.func")
	art, err := (&Runtime{}).build(ctx, runtimes.BuildRequest{
		Root: root, File: "api/index.py", OutDir: out, PythonVersion: lambdatest.HostPython(t), CacheDir: t.TempDir(),
		Entrypoint: runtimes.Entrypoint{Language: runtimes.Python, Kind: runtimes.KindFunction, Symbol: "app", AppKind: runtimes.AppWSGI},
	}, tools)
	if err != nil {
		t.Fatal(err)
	}
	for _, info := range findFiles(t, filepath.Join(out, vendorDir), ".dist-info") {
		t.Errorf("%s is bundled although the threshold leaves every public package to the cold start", info)
	}
	if _, err := os.Stat(filepath.Join(out, vendorDir, "six.py")); err == nil {
		t.Error("six.py is still in _vendor")
	}
	if info, err := os.Stat(filepath.Join(out, runtimeInstallDir, "uv")); err != nil || info.Mode().Perm()&0o111 == 0 {
		t.Fatalf("_uv/uv is not an executable: %v", err)
	}
	var cfg runtimeInstallConfig
	b, err := os.ReadFile(filepath.Join(out, runtimeInstallDir, runtimeInstallConfigFile))
	if err != nil || json.Unmarshal(b, &cfg) != nil || cfg.ProjectDir != projectDir || len(cfg.BundledPackages) != 0 || cfg.UVVersion != uvRuntimeVersion {
		t.Fatalf("_uv/_runtime_config.json = %s (%v)", b, err)
	}
	for _, f := range []string{"pyproject.toml", "uv.lock"} {
		if _, err := os.Stat(filepath.Join(out, projectDir, f)); err != nil {
			t.Errorf("%s is not shipped: %v", f, err)
		}
	}

	tmp := t.TempDir()
	env := map[string]string{"TMPDIR": tmp}
	// The machine's own TLS roots, when it has them (a proxy in front of
	// PyPI); on Lambda uv's built-in roots apply.
	for _, k := range []string{"SSL_CERT_FILE", "SSL_CERT_DIR"} {
		if v := os.Getenv(k); v != "" {
			env[k] = v
		}
	}
	for k, v := range art.Environment {
		env[k] = v
	}
	// six 1.15.0 on the runtime's own sys.path, 1.16.0 in uv.lock.
	py := lambdatest.RICPythonWith(t, "six==1.15.0")
	em := lambdatest.StartPythonWith(t, py, out, art.Handler, art.Runtime, env)
	for i := range 2 { // cold, then warm
		res := invokeHTTP(t, em, lambdatest.EventVercel, "GET", "/api/index", nil, nil)
		want := "six 1.16.0 idna 3.10 in " + tmp
		if res.Status != 200 || !strings.HasPrefix(string(res.Body), want) {
			t.Fatalf("invocation %d: %d %q, want %q...", i+1, res.Status, res.Body, want)
		}
	}
}

func TestVendorDistributions(t *testing.T) {
	vendor := t.TempDir()
	writeFiles(t, vendor, map[string]string{
		"six.py":                              "x = 1\n",
		"six-1.16.0.dist-info/RECORD":         "six.py,sha256=aa,6\nsix-1.16.0.dist-info/RECORD,,\n\"six-1.16.0.dist-info/METADATA\",,\n../../bin/six-tool,sha256=bb,10\n/etc/passwd,,\n",
		"six-1.16.0.dist-info/METADATA":       "Name: six\n",
		"Zope.Interface-7.0.dist-info/RECORD": "zope/interface/__init__.py,,\nzope/interface/gone.pyc,,\n",
		"zope/interface/__init__.py":          "",
		"lambdalens_runtime/__init__.py":      "# the adapter: no dist-info\n",
	})
	dists, err := vendorDistributions(vendor)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{}
	for _, d := range dists {
		got[d.name] = d.files
	}
	want := map[string][]string{
		// Files outside _vendor (scripts, absolute paths) and files RECORD
		// lists but that were never written are not the distribution's.
		"six":            {"six.py", filepath.FromSlash("six-1.16.0.dist-info/RECORD"), filepath.FromSlash("six-1.16.0.dist-info/METADATA")},
		"zope-interface": {filepath.FromSlash("zope/interface/__init__.py")},
	}
	if len(got) != len(want) || !slices.Equal(got["six"], want["six"]) || !slices.Equal(got["zope-interface"], want["zope-interface"]) {
		t.Errorf("distributions = %q, want %q", got, want)
	}
}
