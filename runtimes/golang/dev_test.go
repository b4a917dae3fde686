package golang

import (
	"errors"
	"strings"
	"testing"

	"github.com/lambdalens/lambdalens/runtimes"
)

func TestStartDevFunctions(t *testing.T) {
	requireGo(t)
	t.Parallel()
	tests := []struct {
		name, fixture, file, symbol, path, want string
	}{
		{name: "helper beside the handler", fixture: "hello", file: "api/hello.go", symbol: "Handler", path: "/", want: "hello from helper"},
		{name: "handler detected", fixture: "hello", file: "api/hello.go", symbol: "", path: "/", want: "hello from helper"},
		{name: "package of the same module", fixture: "samemodule", file: "api/hello.go", symbol: "Handler", path: "/", want: "hello from internal/greet"},
		{name: "replace to a local module", fixture: "replace", file: "api/hello.go", symbol: "Handler", path: "/", want: "hello from replaced lib"},
		{name: "go.work with two modules", fixture: "gowork", file: "app/api/hello.go", symbol: "Handler", path: "/", want: "hello from the workspace"},
		{name: "module from the module cache", fixture: "thirdparty", file: "api/hello.go", symbol: "Handler", path: "/", want: "matched true"},
		{name: "vendored module", fixture: "vendored", file: "api/hello.go", symbol: "Handler", path: "/", want: "hello from vendor"},
		{name: "go.mod in a parent folder", fixture: "parentmod", file: "api/hello.go", symbol: "Handler", path: "/", want: "hello from a parent module"},
		{name: "no go.mod", fixture: "nomod", file: "api/hello.go", symbol: "Handler", path: "/", want: "hello without go.mod"},
		{name: "no go.mod, a module from the proxy", fixture: "nomoduuid", file: "api/id.go", symbol: "Handler", path: "/", want: "3dd3a2f3-7936-574c-90df-3b04ec696fff"},
		{name: "package main without go.mod", fixture: "nomodmain", file: "api/hello.go", symbol: "Handler", path: "/", want: "hello from package main"},
		{name: "bracket file name", fixture: "brackets", file: "api/users/[id].go", symbol: "Handler", path: "/?id=7", want: "user 7"},
		{name: "bracket directory", fixture: "brackets", file: "api/posts/[slug]/index.go", symbol: "Handler", path: "/?slug=x", want: "post x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := loadProject(t, tt.fixture)
			before := snapshot(t, p.dir)
			proc, err := startDev(t, testRuntime(), p, t.TempDir(), tt.file, function(tt.symbol))
			if err != nil {
				t.Fatal(err)
			}
			if got := get(t, proc.Addr(), tt.path); got != tt.want {
				t.Errorf("GET %s = %q, want %q", tt.path, got, tt.want)
			}
			assertUnchanged(t, before, snapshot(t, p.dir))
		})
	}
}

// Two files of one folder both define func Handler: each is a route, and
// each must serve its own handler.
func TestStartDevTwoHandlersInOneFolder(t *testing.T) {
	requireGo(t)
	t.Parallel()
	p := loadProject(t, "twohandlers")
	before := snapshot(t, p.dir)
	r, cache := testRuntime(), t.TempDir()
	for _, name := range []string{"a", "b"} {
		proc, err := startDev(t, r, p, cache, "api/"+name+".go", function("Handler"))
		if err != nil {
			t.Fatal(err)
		}
		if got, want := get(t, proc.Addr(), "/"), "this is handler "+name; got != want {
			t.Errorf("api/%s.go answered %q, want %q", name, got, want)
		}
	}
	assertUnchanged(t, before, snapshot(t, p.dir))
}

func TestStartDevCompileErrors(t *testing.T) {
	requireGo(t)
	t.Parallel()
	p := loadProject(t, "compileerror")
	dupLine := "func Handler(w http.ResponseWriter, r *http.Request) { w.Write(notDefined) }"
	tests := []struct {
		file      string
		wantFile  string
		wantLine  int
		wantCol   int
		wantInMsg string
	}{
		{"api/hello.go", "api/helper.go", 4, 9, "undefined: undefinedThing"},
		// The handler's declaration is renamed in an overlaid copy (two
		// files declare Handler); the column after it is mapped back.
		{"api/dup/a.go", "api/dup/a.go", 5, strings.Index(dupLine, "notDefined") + 1, "undefined: notDefined"},
		// "[id].go" is compiled under another name.
		{"api/items/[id].go", "api/items/[id].go", 6, 14, "cannot use"},
		// The generated main cannot call the handler: reported at the
		// handler's declaration.
		{"api/wrongsig/index.go", "api/wrongsig/index.go", 6, 6, "in the generated main: cannot convert"},
	}
	cache := t.TempDir()
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			_, err := startDev(t, testRuntime(), p, cache, tt.file, function("Handler"))
			var be *runtimes.BuildError
			if !errors.As(err, &be) {
				t.Fatalf("StartDev error = %v, want a *runtimes.BuildError", err)
			}
			if be.Op != "building "+tt.file {
				t.Errorf("Op = %q", be.Op)
			}
			var found bool
			for _, d := range be.Diagnostics {
				if d.File == tt.wantFile && d.Range.Start.Line == tt.wantLine && strings.Contains(d.Message, tt.wantInMsg) {
					found = true
					if d.Range.Start.Column != tt.wantCol {
						t.Errorf("column = %d, want %d (%s)", d.Range.Start.Column, tt.wantCol, d)
					}
					if d.Severity != runtimes.SeverityError {
						t.Errorf("severity = %v", d.Severity)
					}
				}
			}
			if !found {
				t.Errorf("no diagnostic %s:%d %q in %+v\noutput:\n%s", tt.wantFile, tt.wantLine, tt.wantInMsg, be.Diagnostics, be.Output)
			}
			if !strings.Contains(be.Output, tt.wantFile+":") {
				t.Errorf("output does not name %s:\n%s", tt.wantFile, be.Output)
			}
			for _, leak := range []string{cache, "lambdalensgen_", "Handler_api"} {
				if strings.Contains(be.Output, leak) {
					t.Errorf("output mentions %q:\n%s", leak, be.Output)
				}
			}
		})
	}
}

func TestStartDevServer(t *testing.T) {
	requireGo(t)
	t.Parallel()
	p := loadProject(t, "server")
	before := snapshot(t, p.dir)
	ep := runtimes.Entrypoint{Language: runtimes.Go, Kind: runtimes.KindServer, Package: "main"}
	proc, err := startDev(t, testRuntime(), p, t.TempDir(), "main.go", ep)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := get(t, proc.Addr(), "/x"), "hello from the server at /x"; got != want {
		t.Errorf("GET /x = %q, want %q", got, want)
	}
	assertUnchanged(t, before, snapshot(t, p.dir))
}

func TestStartDevRejectsToolexec(t *testing.T) {
	t.Parallel()
	p := loadProject(t, "hello")
	_, err := testRuntime().StartDev(t.Context(), runtimes.DevRequest{
		Root: p.root, File: "api/hello.go", Entrypoint: function("Handler"),
		Env: []string{"GOFLAGS=-mod=mod -toolexec=/bin/true"}, CacheDir: t.TempDir(),
	})
	if !errors.Is(err, errToolexec) {
		t.Fatalf("err = %v, want errToolexec", err)
	}
}
