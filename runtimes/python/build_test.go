package python

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lambdalens/lambdalens/runtimes/fileutil"
	"github.com/lambdalens/lambdalens/runtimes/lambdatest"

	"golang.org/x/sync/errgroup"

	"github.com/lambdalens/lambdalens/runtimes"
)

func TestLambdaTarget(t *testing.T) {
	for _, tc := range []struct {
		version, arch string
		want          string // "runtime arch wheelArch glibc" or "error: <substring>"
	}{
		{"", "", "python3.12 x86_64 x86_64 34"},
		{"3.12", "x86_64", "python3.12 x86_64 x86_64 34"},
		{"3.11.7", "arm64", "python3.11 arm64 aarch64 26"},
		{"3.9", "aarch64", "python3.9 arm64 aarch64 26"},
		{"3.14", "amd64", "python3.14 x86_64 x86_64 34"},
		{"3.8", "", "error: has no AWS Lambda runtime"},
		{"2.7", "", "error: has no AWS Lambda runtime"},
		{"3", "", "error: want major.minor"},
		{"3.x", "", "error: want major.minor"},
		{"3.12", "riscv64", "error: want x86_64 or arm64"},
	} {
		got, err := lambdaTarget(tc.version, tc.arch)
		var s string
		if err != nil {
			s = "error: " + err.Error()
		} else {
			s = fmt.Sprintf("%s %s %s %d", got.runtime(), got.lambdaArch, got.wheelArch, got.glibcMinor)
		}
		if want, ok := strings.CutPrefix(tc.want, "error: "); ok {
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("lambdaTarget(%q, %q) = %s, want an error containing %q", tc.version, tc.arch, s, want)
			}
		} else if s != tc.want {
			t.Errorf("lambdaTarget(%q, %q) = %s, want %s", tc.version, tc.arch, s, tc.want)
		}
	}
}

func TestTargetPlatforms(t *testing.T) {
	al2, _ := lambdaTarget("3.11", "arm64")
	if got := al2.uvPlatform(); got != "aarch64-manylinux_2_17" {
		t.Errorf("uv platform for 3.11 arm64 = %q", got)
	}
	p := al2.pipPlatforms()
	if p[0] != "manylinux2014_aarch64" || p[len(p)-1] != "manylinux_2_26_aarch64" || slices.Contains(p, "manylinux_2_27_aarch64") {
		t.Errorf("pip platforms for 3.11 arm64 = %v", p)
	}
	al2023, _ := lambdaTarget("3.13", "x86_64")
	if got := al2023.uvPlatform(); got != "x86_64-manylinux_2_34" {
		t.Errorf("uv platform for 3.13 = %q", got)
	}
	if p := al2023.pipPlatforms(); p[len(p)-1] != "manylinux_2_34_x86_64" || !slices.Contains(p, "manylinux_2_17_x86_64") {
		t.Errorf("pip platforms for 3.13 = %v", p)
	}
}

func TestModuleName(t *testing.T) {
	for file, want := range map[string]string{
		"api/index.py":             "api.index",
		"main.py":                  "main",
		"api/users/[id].py":        "api.users.[id]",
		"src/app/__init__.py":      "src.app",
		"api/my-func.py":           "api.my-func",
		"./api/x.py":               "api.x",
		"api/deep/nested/thing.py": "api.deep.nested.thing",
	} {
		if got := moduleName(file); got != want {
			t.Errorf("moduleName(%q) = %q, want %q", file, got, want)
		}
	}
}

// TestRenderTrampoline checks that the trampoline is valid Python for
// awkward entrypoint names and carries Vercel's variables.
func TestRenderTrampoline(t *testing.T) {
	lambdatest.HostPython(t)
	for _, file := range []string{"api/index.py", `api/q"uote's\.py`, "api/héllo/[id].py", "main.py"} {
		b, err := renderTrampoline(file, runtimes.Entrypoint{Symbol: "app", AppKind: runtimes.AppASGI})
		if err != nil {
			t.Fatal(err)
		}
		src := string(b)
		for _, want := range []string{"__VC_HANDLER_MODULE_NAME", pyString(moduleName(file)), pyString(file), `"_vendor"`, `"asgi"`, "vc_handler = _load("} {
			if !strings.Contains(src, want) {
				t.Errorf("%s: trampoline lacks %s:\n%s", file, want, src)
			}
		}
		cmd := exec.Command("python3", "-c", "import ast, sys; ast.parse(sys.stdin.read())")
		cmd.Stdin = strings.NewReader(src)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("%s: the trampoline is not valid Python: %v\n%s\n%s", file, err, out, src)
		}
	}
}

func TestLambdaArtifact(t *testing.T) {
	tg, _ := lambdaTarget("3.12", "arm64")
	got, _ := json.Marshal(lambdaArtifact(tg))
	want := `{"handler":"vc__handler__python.vc_handler","runtime":"python3.12","architecture":"arm64",` +
		`"environment":{"PYTHONDONTWRITEBYTECODE":"1","PYTHONPATH":"_vendor"},"supportsResponseStreaming":true}`
	if string(got) != want {
		t.Errorf("artifact\n got %s\nwant %s", got, want)
	}
}

// funcFiles lists the files of a .func, slash paths, sorted.
func funcFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	for _, p := range findFiles(t, dir, "") {
		rel, _ := filepath.Rel(dir, p)
		out = append(out, filepath.ToSlash(rel))
	}
	slices.Sort(out)
	return out
}

// TestBuildExcludes: the default excludes, .vercelignore and excludeFiles
// keep files out; everything else is copied, and excluded files do not
// change the cache key.
func TestBuildExcludes(t *testing.T) {
	lambdatest.HostPython(t)
	root := t.TempDir()
	writeFiles(t, root, map[string]string{
		"api/index.py":                            "def app(environ, start_response):\n    pass\n",
		"api/_lib/util.py":                        "X = 1\n",
		"api/__pycache__/index.cpython-311.pyc":   "junk",
		"lib/__pycache__/x.pyc":                   "junk",
		"lib/keep.py":                             "Y = 2\n",
		"data.json":                               "{}",
		"README.md":                               "# hi",
		".venv/lib/python3.11/site-packages/x.py": "",
		"sub/venv/bin/python":                     "",
		"node_modules/left-pad/index.js":          "",
		"web/node_modules/a.js":                   "",
		"public/index.html":                       "<p>static</p>",
		".git/config":                             "",
		".gitignore":                              ".venv\n",
		".vercel/project.json":                    "{}",
		"package-lock.json":                       "{}",
		"sub/yarn.lock":                           "",
		".mypy_cache/x":                           "",
		"tests/test_index.py":                     "def test(): pass\n",
		"docs/guide.md":                           "guide",
		"secret.txt":                              "s3cret",
		"notes/keep.txt":                          "keep",
		"notes/drop.log":                          "drop",
		".vercelignore":                           "# comment\nsecret.txt\ndocs/\n*.log\n",
		"vc__handler__python.py":                  "# the user's, replaced",
		// Vercel's default ignore list: never uploaded, so never deployed.
		".env.local":            "SECRET=1",
		".env.production.local": "SECRET=2",
		"api/.env.local":        "SECRET=3",
		".env":                  "PUBLIC=1",
		".cache/x":              "",
		".DS_Store":             "",
		"api/.DS_Store":         "",
		".hg/store":             "",
		".svn/entries":          "",
		"CVS/Root":              "",
		"editor.py.swp":         "", // not ".*.swp": kept
		".index.py.swp":         "",
		".yarn/cache/x.zip":     "",
		".pnp.cjs":              "",
	})
	req := runtimes.BuildRequest{Root: root, File: "api/index.py", OutDir: filepath.Join(t.TempDir(), "f.func"),
		PythonVersion: "3.12", CacheDir: t.TempDir(), ExcludeFiles: []string{"tests/**"}}
	rt := &Runtime{}
	if _, err := rt.Build(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range funcFiles(t, req.OutDir) {
		if !strings.HasPrefix(f, vendorDir+"/"+adapterPackage+"/") {
			got = append(got, f)
		}
	}
	want := []string{".env", ".vercelignore", "README.md", "api/_lib/util.py", "api/index.py", "data.json", "editor.py.swp",
		"lib/keep.py", "notes/keep.txt", trampolineFile}
	if !slices.Equal(got, want) {
		t.Errorf("files in the .func\n got %q\nwant %q", got, want)
	}
	if b, _ := os.ReadFile(filepath.Join(req.OutDir, trampolineFile)); strings.Contains(string(b), "the user's") {
		t.Error("the project's vc__handler__python.py replaced the generated trampoline")
	}
	if _, err := os.Stat(filepath.Join(req.OutDir, vendorDir, adapterPackage, "__init__.py")); err != nil {
		t.Errorf("the adapter package is missing: %v", err)
	}

	key1, err := rt.CacheKey(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	writeFiles(t, root, map[string]string{".venv/lib/new.py": "", "tests/test_more.py": "", "docs/more.md": "",
		".env.local": "SECRET=4", ".cache/y": ""})
	if key2, _ := rt.CacheKey(context.Background(), req); key2 != key1 {
		t.Error("the cache key changed when only excluded files did")
	}
	writeFiles(t, root, map[string]string{"lib/keep.py": "Y = 3\n"})
	if key3, _ := rt.CacheKey(context.Background(), req); key3 == key1 {
		t.Error("the cache key did not change when an included file did")
	}
	req.ExcludeFiles = []string{"../outside/**"}
	if _, err := rt.Build(context.Background(), req); err == nil || !strings.Contains(err.Error(), "escapes the project") {
		t.Errorf("excludeFiles escaping the project: got %v", err)
	}
}

// fakeInstaller stands in for pip and uv: it counts runs and installs a
// package "fakepkg" of size bytes into the --target directory.
type fakeInstaller struct {
	runs atomic.Int32
	size int
}

func (f *fakeInstaller) run(cmd *exec.Cmd) ([]byte, error) {
	f.runs.Add(1)
	i := slices.Index(cmd.Args, "--target")
	if i < 0 || i+1 >= len(cmd.Args) {
		return []byte("no --target"), errors.New("exit status 2")
	}
	dir := filepath.Join(cmd.Args[i+1], "fakepkg")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(cmd.Args[i+1], "fakepkg-1.0.dist-info"), 0o755); err != nil {
		return nil, err
	}
	return nil, os.WriteFile(filepath.Join(dir, "__init__.py"), make([]byte, f.size), 0o644)
}

// TestBuildDepsCache: dependencies are installed once per content and
// target, then hard-linked from the cache; concurrent builds of the same
// project install once.
func TestBuildDepsCache(t *testing.T) {
	lambdatest.HostPython(t)
	root := t.TempDir()
	writeFiles(t, root, map[string]string{
		"requirements.txt": "-r base.txt\n",
		"base.txt":         "fakepkg==1.0\n",
		"api/a.py":         "app = None\n",
		"api/b.py":         "app = None\n",
	})
	cache := t.TempDir()
	fake := &fakeInstaller{size: 10}
	tools := defaultBuildTools()
	tools.run = fake.run
	rt := &Runtime{}
	build := func(file, arch string) string {
		t.Helper()
		out := filepath.Join(t.TempDir(), "f.func")
		_, err := rt.build(context.Background(), runtimes.BuildRequest{Root: root, File: file, Arch: arch, OutDir: out,
			PythonVersion: "3.12", CacheDir: cache, Env: []string{installerEnv + "=pip"}}, tools)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	expectRuns := func(want int32, when string) {
		t.Helper()
		if got := fake.runs.Load(); got != want {
			t.Errorf("%s: the installer ran %d times in all, want %d", when, got, want)
		}
	}

	first := build("api/a.py", "x86_64")
	expectRuns(1, "first build")
	second := build("api/b.py", "x86_64")
	expectRuns(1, "second build, same dependencies")
	fi1, err1 := os.Stat(filepath.Join(first, vendorDir, "fakepkg", "__init__.py"))
	fi2, err2 := os.Stat(filepath.Join(second, vendorDir, "fakepkg", "__init__.py"))
	if err1 != nil || err2 != nil {
		t.Fatalf("fakepkg not vendored: %v, %v", err1, err2)
	}
	if !os.SameFile(fi1, fi2) {
		t.Error("the second build's _vendor is not hard-linked from the cache")
	}

	writeFiles(t, root, map[string]string{"base.txt": "fakepkg==1.1\n"}) // an included file changed
	build("api/a.py", "x86_64")
	expectRuns(2, "after changing a file requirements.txt includes")
	build("api/a.py", "arm64")
	expectRuns(3, "for another architecture")

	// An entry unused for longer than depsCacheMaxAge goes at the next
	// install; a recent one stays.
	stale := filepath.Join(cache, filepath.FromSlash(depsCacheSubdir), "0123-stale")
	recent := filepath.Join(cache, filepath.FromSlash(depsCacheSubdir), "0123-recent")
	for _, d := range []string{stale, recent} {
		if err := os.MkdirAll(filepath.Join(d, vendorDir), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-depsCacheMaxAge - time.Hour)
	if err := os.Chtimes(stale, old, old); err != nil {
		t.Fatal(err)
	}

	writeFiles(t, root, map[string]string{"base.txt": "fakepkg==1.2\n"})
	var g errgroup.Group
	for _, f := range []string{"api/a.py", "api/b.py", "api/a.py"} {
		g.Go(func() error {
			out := filepath.Join(t.TempDir(), "f.func")
			_, err := rt.build(context.Background(), runtimes.BuildRequest{Root: root, File: f, OutDir: out,
				PythonVersion: "3.12", CacheDir: cache, Env: []string{installerEnv + "=pip"}}, tools)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	expectRuns(4, "three concurrent builds with new dependencies")
	if _, err := os.Stat(stale); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a cache entry unused for %s was not pruned: %v", depsCacheMaxAge, err)
	}
	if _, err := os.Stat(recent); err != nil {
		t.Errorf("a recent cache entry was pruned: %v", err)
	}
}

// TestBuildSizeLimit: a function over the limit fails, naming its largest
// dependencies first.
func TestBuildSizeLimit(t *testing.T) {
	lambdatest.HostPython(t)
	root := t.TempDir()
	writeFiles(t, root, map[string]string{"requirements.txt": "fakepkg\n", "api/a.py": "app = None\n"})
	fake := &fakeInstaller{size: 200 << 10}
	tools := defaultBuildTools()
	tools.run = fake.run
	tools.sizeLimit = 100 << 10
	_, err := (&Runtime{}).build(context.Background(), runtimes.BuildRequest{Root: root, File: "api/a.py",
		OutDir: filepath.Join(t.TempDir(), "f.func"), PythonVersion: "3.12", CacheDir: t.TempDir(),
		Env: []string{installerEnv + "=pip"}}, tools)
	if !errors.Is(err, errTooLarge) {
		t.Fatalf("got %v, want errTooLarge", err)
	}
	for _, want := range []string{"over AWS Lambda's 0.1 MB limit", "largest dependencies: fakepkg 0.2 MB", "project files:"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}

func TestBuildRequestErrors(t *testing.T) {
	root := t.TempDir()
	writeFiles(t, root, map[string]string{"api/a.py": "app = None\n"})
	for _, tc := range []struct {
		name string
		req  runtimes.BuildRequest
		want string
	}{
		{"relative root", runtimes.BuildRequest{Root: "proj", File: "api/a.py"}, "not absolute"},
		{"missing entrypoint", runtimes.BuildRequest{Root: root, File: "api/nope.py"}, "reading the entrypoint"},
		{"absolute entrypoint", runtimes.BuildRequest{Root: root, File: filepath.Join(root, "api/a.py")}, "not a path relative"},
		{"bad version", runtimes.BuildRequest{Root: root, File: "api/a.py", PythonVersion: "3.7"}, "has no AWS Lambda runtime"},
		{"bad arch", runtimes.BuildRequest{Root: root, File: "api/a.py", Arch: "s390x"}, "want x86_64 or arm64"},
	} {
		tc.req.OutDir = t.TempDir()
		tc.req.CacheDir = t.TempDir()
		_, err := (&Runtime{}).Build(context.Background(), tc.req)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), tc.req.File) {
			t.Errorf("%s: got %v, want an error naming %s and containing %q", tc.name, err, tc.req.File, tc.want)
		}
		if _, err := (&Runtime{}).CacheKey(context.Background(), tc.req); err == nil {
			t.Errorf("%s: CacheKey succeeded", tc.name)
		}
	}
}

// TestPlanInstall checks the installer command lines for both installers.
func TestPlanInstall(t *testing.T) {
	root := t.TempDir()
	writeFiles(t, root, map[string]string{
		"pyproject.toml": "[project]\nname = \"p\"\nversion = \"0\"\ndependencies = [\"six\"]\n",
		"uv.lock":        "version = 1\n[[package]]\nname = \"six\"\nversion = \"1.16.0\"\nsource = { registry = \"https://pypi.org/simple\" }\n[[package]]\nname = \"p\"\nversion = \"0\"\nsource = { virtual = \".\" }\n",
	})
	d, err := findLambdaDeps(root, ".")
	if err != nil || d == nil || d.uvLock == "" {
		t.Fatalf("findLambdaDeps = %+v, %v; want pyproject.toml with uv.lock", d, err)
	}
	tg, _ := lambdaTarget("3.12", "arm64")
	scratch := t.TempDir()

	plan, err := planInstall(context.Background(), root, d, tg, installer{name: installerPip, path: "/py"}, "/out/_vendor", scratch, nil)
	if err != nil {
		t.Fatal(err)
	}
	pip := strings.Join(plan.cmds[0].Args, " ")
	for _, want := range []string{"/py -m pip install", "--target /out/_vendor", "--implementation cp", "--python-version 3.12",
		"--only-binary=:all:", "--platform manylinux2014_aarch64", "--platform manylinux_2_34_aarch64", "-c " + filepath.Join(scratch, "uv-lock-constraints.txt")} {
		if !strings.Contains(pip, want) {
			t.Errorf("pip command %q lacks %q", pip, want)
		}
	}
	if got := string(plan.files[filepath.Join(scratch, "uv-lock-constraints.txt")]); got != "six==1.16.0\n" {
		t.Errorf("constraints from uv.lock = %q", got)
	}

	plan, err = planInstall(context.Background(), root, d, tg, installer{name: installerUV, path: "/uv"}, "/out/_vendor", scratch, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.cmds) != 2 {
		t.Fatalf("uv plan has %d commands, want export + install", len(plan.cmds))
	}
	export, install := strings.Join(plan.cmds[0].Args, " "), strings.Join(plan.cmds[1].Args, " ")
	if !strings.HasPrefix(export, "/uv export --frozen --no-dev --no-emit-project") {
		t.Errorf("uv export command = %q", export)
	}
	for _, want := range []string{"/uv pip install", "--python-platform aarch64-manylinux_2_34", "--python-version 3.12", "--only-binary :all:", "--no-deps"} {
		if !strings.Contains(install, want) {
			t.Errorf("uv install command %q lacks %q", install, want)
		}
	}
	if plan.cmds[0].Dir != root {
		t.Errorf("installer runs in %q, want the project root", plan.cmds[0].Dir)
	}
}

func TestMissingWheel(t *testing.T) {
	for _, tc := range []struct{ output, want string }{
		{"ERROR: Could not find a version that satisfies the requirement docopt==0.6.2 (from versions: none)\nERROR: No matching distribution found for docopt==0.6.2", "docopt==0.6.2"},
		{"ERROR: No matching distribution found for torch>=2; python_version > '3'", "torch>=2"},
		{"error: No solution found when resolving dependencies\n  cause: Because docopt==0.6.2 has no usable wheels and you require docopt==0.6.2, we can conclude that your requirements are unsatisfiable.", "docopt==0.6.2"},
		{"  ╰─▶ Because numpy==1.19.0 has no wheels with a matching Python ABI tag (e.g., `cp312`)", "numpy==1.19.0"},
		{"  cause: Because nonexistent-pkg was not found in the package registry and you require nonexistent-pkg", "nonexistent-pkg"},
		{"  ╰─▶ Because there is no version of flask==99 and you require flask==99", "flask==99"},
		{"ERROR: Could not open requirements file: [Errno 2] No such file", ""},
		{"", ""},
	} {
		if got := missingWheel(tc.output); got != tc.want {
			t.Errorf("missingWheel(%q) = %q, want %q", tc.output, got, tc.want)
		}
	}
}

func FuzzMissingWheel(f *testing.F) {
	f.Add("ERROR: No matching distribution found for docopt==0.6.2")
	f.Add("Because foo==1 has no usable wheels and")
	f.Add("Because there is no version of x")
	f.Fuzz(func(t *testing.T, output string) {
		if got := missingWheel(output); got != "" && !strings.Contains(output, got) {
			t.Errorf("missingWheel(%q) = %q, not part of the output", output, got)
		}
	})
}

func TestParseRequirementIncludes(t *testing.T) {
	in := "flask\n-r base.txt\n--requirement=dev.txt # dev\n-cconstraints.txt\n--constraint  c2.txt\n" +
		"-r https://example.com/r.txt\n--requirementsfoo\n# -r commented.txt\n-e .\n"
	got := parseRequirementIncludes([]byte(in))
	want := []string{"base.txt", "dev.txt", "constraints.txt", "c2.txt"}
	if !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}

	root := t.TempDir()
	writeFiles(t, root, map[string]string{
		"requirements.txt":        "-r reqs/base.txt\n-c reqs/pins.txt\n",
		"reqs/base.txt":           "-r common.txt\nflask\n",
		"reqs/common.txt":         "-r base.txt\n", // a cycle ends
		"reqs/pins.txt":           "flask==3\n",
		"broken/requirements.txt": "flask\n-r missing.txt\n",
	})
	files, err := requirementIncludes(filepath.Join(root, "requirements.txt"))
	if err != nil {
		t.Fatal(err)
	}
	var rels []string
	for _, f := range files {
		rels = append(rels, relToRoot(root, f))
	}
	if want := []string{"reqs/base.txt", "reqs/pins.txt", "reqs/common.txt"}; !slices.Equal(rels, want) {
		t.Errorf("includes = %q, want %q", rels, want)
	}
	// The error names the file and line, and what to do.
	if _, err := requirementIncludes(filepath.Join(root, "broken", "requirements.txt")); err == nil ||
		!strings.HasPrefix(err.Error(), "requirements.txt:2: -r missing.txt: ") || !strings.HasSuffix(err.Error(), "; create it or remove the line") {
		t.Errorf("a missing include: got %v", err)
	}
}

func FuzzParseRequirementIncludes(f *testing.F) {
	f.Add([]byte("-r base.txt\n--requirement=dev.txt\n-cfoo\n"))
	f.Add([]byte("--constraint\t\tx # y\n-r\n"))
	f.Add([]byte("-r ba\\\nse.txt\n# c \\\n-c x\\"))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, inc := range parseRequirementIncludes(b) {
			if inc == "" || !strings.Contains(strings.Join(requirementTexts(b), "\n"), inc) {
				t.Errorf("include %q is not part of the input's logical lines", inc)
			}
		}
	})
}

func TestIgnoreList(t *testing.T) {
	l := fileutil.NewRules(nil, []byte("# c\n*.log\n!keep.log\n/build\ndocs/\nsrc/**/gen_*.py\n\\#hash\n"))
	for _, tc := range []struct {
		rel   string
		isDir bool
		want  bool
	}{
		{"a.log", false, true},
		{"deep/b.log", false, true},
		{"keep.log", false, false},
		{"build", true, true},
		{"sub/build", true, false},
		{"docs", true, true},
		{"docs", false, false}, // "docs/" matches directories only
		{"src/x/y/gen_a.py", false, true},
		{"src/gen_a.py", false, true},
		{"#hash", false, true},
		{"main.py", false, false},
	} {
		if got := l.Match(tc.rel, tc.isDir); got != tc.want {
			t.Errorf("ignored(%q, dir=%v) = %v, want %v", tc.rel, tc.isDir, got, tc.want)
		}
	}
}
