package golang

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"testing"

	"golang.org/x/mod/module"
	modzip "golang.org/x/mod/zip"
)

// addProxyModule publishes modPath@version, a package with a Version
// constant requiring requires, in the file:// module proxy at dir.
func addProxyModule(t *testing.T, dir, modPath, version string, requires ...string) {
	t.Helper()
	gomod := "module " + modPath + "\n\ngo 1.21\n"
	for _, r := range requires {
		gomod += "\nrequire " + r + "\n"
	}
	src := t.TempDir()
	writeTestFile(t, filepath.Join(src, "go.mod"), gomod)
	writeTestFile(t, filepath.Join(src, "v.go"), "package "+path.Base(modPath)+"\n\nconst Version = "+fmt.Sprintf("%q", version)+"\n")
	vdir := filepath.Join(dir, filepath.FromSlash(modPath), "@v")
	writeTestFile(t, filepath.Join(vdir, version+".mod"), gomod)
	writeTestFile(t, filepath.Join(vdir, version+".info"), fmt.Sprintf(`{"Version":%q,"Time":"2024-01-01T00:00:00Z"}`, version))
	zf, err := os.Create(filepath.Join(vdir, version+".zip"))
	if err != nil {
		t.Fatal(err)
	}
	defer zf.Close()
	if err := modzip.CreateFromDir(zf, module.Version{Path: modPath, Version: version}, src); err != nil {
		t.Fatal(err)
	}
	list, _ := os.ReadFile(filepath.Join(vdir, "list"))
	writeTestFile(t, filepath.Join(vdir, "list"), string(list)+version+"\n")
}

// Without go.mod, the versions a folder's tidy chose stay when its imports
// change, whichever folder tidied the same imports first, and removing an
// import does not bring back older versions.
func TestNoGoModVersionsStayPerFolder(t *testing.T) {
	requireGo(t)
	t.Parallel()
	proxy := t.TempDir()
	addProxyModule(t, proxy, "example.com/a", "v1.0.0")
	p := loadProject(t, "nomod")
	cache := t.TempDir()
	env := []string{"GOPROXY=file://" + filepath.ToSlash(proxy), "GOSUMDB=off", "GONOSUMDB=*", "GOFLAGS=-modcacherw", "GOMODCACHE=" + t.TempDir()}
	handler := func(imports ...string) string {
		src := "package handler\n\nimport (\n\t\"net/http\"\n"
		for _, ip := range imports {
			src += "\t_ \"" + ip + "\"\n"
		}
		return src + ")\n\nfunc Handler(w http.ResponseWriter, r *http.Request) {}\n"
	}
	requireRE := regexp.MustCompile(`(?m)^\s*(?:require\s+)?(example\.com/\w+) (v[0-9.]+)`)
	build := func(folder string, imports ...string) map[string]string {
		t.Helper()
		p.write(t, "api/"+folder+"/index.go", handler(imports...))
		req := buildRequest(p, "api/"+folder+"/index.go", function("Handler"), t.TempDir(), cache)
		req.Env = env
		if _, err := testRuntime().Build(t.Context(), req); err != nil {
			t.Fatalf("building %s with %v: %v", folder, imports, err)
		}
		base := filepath.Join(cache, "go", "mod")
		entry := readFile(t, filepath.Join(base, "last-"+shortHash(filepath.Join(p.root, "api", folder))))
		got := map[string]string{}
		for _, m := range requireRE.FindAllStringSubmatch(readFile(t, filepath.Join(base, entry, "go.mod")), -1) {
			got[m[1]] = m[2]
		}
		return got
	}
	check := func(step string, got map[string]string, want ...string) {
		t.Helper()
		for i := 0; i < len(want); i += 2 {
			if got[want[i]] != want[i+1] {
				t.Errorf("%s: %s %s, want %s (all: %v)", step, want[i], got[want[i]], want[i+1], got)
			}
		}
	}
	check("f1 with a", build("f1", "example.com/a"), "example.com/a", "v1.0.0")
	check("f2 with the same imports", build("f2", "example.com/a"), "example.com/a", "v1.0.0")

	// Newer versions appear; b needs a v1.1.0.
	addProxyModule(t, proxy, "example.com/a", "v1.1.0")
	addProxyModule(t, proxy, "example.com/c", "v1.0.0")
	addProxyModule(t, proxy, "example.com/b", "v1.0.0", "example.com/a v1.1.0")
	check("f2 adds c", build("f2", "example.com/a", "example.com/c"), "example.com/a", "v1.0.0", "example.com/c", "v1.0.0")
	check("f1 adds b, which needs a v1.1.0", build("f1", "example.com/a", "example.com/b"), "example.com/a", "v1.1.0", "example.com/b", "v1.0.0")
	check("f1 drops b", build("f1", "example.com/a"), "example.com/a", "v1.1.0")
	check("f2 drops c", build("f2", "example.com/a"), "example.com/a", "v1.0.0")
}
