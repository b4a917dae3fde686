package project

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/lambdalens/lambdalens/project/config"
	"github.com/lambdalens/lambdalens/runtimes"
)

// TestStaticFolder: public/ when it has files; the project root for a
// project of api functions without it (Vercel's "!{api/**,package.json}");
// nothing for a server or app without public/, for legacy builds, and
// when nothing but api/ and package.json is there.
func TestStaticFolder(t *testing.T) {
	tests := []struct {
		name, archive, want string
	}{
		{"public folder", "-- api/a.go --\n" + goHandler + "-- public/index.html --\nhi\n-- index.html --\nroot\n", "public"},
		{"api functions and root files", "-- api/a.go --\n" + goHandler + "-- index.html --\nhi\n", "."},
		{"only api and package.json", "-- api/a.go --\n" + goHandler + "-- package.json --\n{}\n", ""},
		{"no functions", "-- index.html --\nhi\n", ""},
		{"a Go server", "-- go.mod --\nmodule example.com/s\n\ngo 1.26\n-- main.go --\npackage main\n\nimport \"os\"\n\nfunc main() { _ = os.Getenv(\"PORT\") }\n-- index.html --\nhi\n", ""},
		{"legacy builds", "-- api/a.go --\n" + goHandler + "-- index.html --\nhi\n-- vercel.json --\n{\"builds\": [{\"src\": \"api/*.go\", \"use\": \"@vercel/go\"}]}\n", ""},
		{"legacy builds ignore public/", "-- api/a.go --\n" + goHandler + "-- public/index.html --\nhi\n-- vercel.json --\n{\"builds\": [{\"src\": \"api/*.go\", \"use\": \"@vercel/go\"}]}\n", ""},
		{"legacy static build", "-- api/a.go --\n" + goHandler + "-- public/index.html --\nhi\n-- vercel.json --\n{\"builds\": [{\"src\": \"api/*.go\", \"use\": \"@vercel/go@3.1.0\"}, {\"src\": \"public/**\", \"use\": \"@vercel/static\"}]}\n", "."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustLoad(t, writeTree(t, tt.archive), Options{})
			if p.PublicDir != tt.want {
				t.Errorf("PublicDir = %q, want %q", p.PublicDir, tt.want)
			}
		})
	}
	p := &Project{PublicDir: "."}
	for rel, want := range map[string]bool{
		"api": true, "api/a.go": true, "api/data.json": true, "package.json": true, "README.md": true, "yarn.lock": true,
		"index.html": false, "apis/x": false, "docs/README.md": false, "go.mod": false,
	} {
		if got := p.StaticExcluded(rel, rel == "api"); got != want {
			t.Errorf("StaticExcluded(%q) = %v, want %v", rel, got, want)
		}
	}
	if (&Project{PublicDir: "public"}).StaticExcluded("public/api/x", false) {
		t.Error("StaticExcluded excludes files of a public folder")
	}
}

// With legacy builds, the @vercel/static globs alone name the static
// files, at their own paths; folders off every glob's way are skipped
// whole; vercel.json and .env files are never static, as in Vercel's
// static builder.
func TestLegacyStaticBuilds(t *testing.T) {
	p := mustLoad(t, writeTree(t, "-- api/a.go --\n"+goHandler+
		"-- public/index.html --\nhi\n-- public/css/a.css --\nx\n-- docs/x.html --\nx\n-- .env --\nA=1\n-- vercel.json --\n"+
		`{"builds": [{"src": "api/*.go", "use": "@vercel/go@3.1.0"}, {"src": "public/**", "use": "@vercel/static"},`+
		` {"src": "/*", "use": "@now/static"}, {"src": "img/*.png", "use": "@vercel/static"}]}`+"\n"), Options{})
	if want := []string{"public/**", "*", "img/*.png"}; !slices.Equal(p.StaticGlobs, want) {
		t.Errorf("StaticGlobs = %q, want %q", p.StaticGlobs, want)
	}
	var unused []string
	for _, d := range p.Diagnostics {
		if d.Code == "unused-build" || d.Code == "build-use-unsupported" {
			unused = append(unused, d.Code+": "+d.Message)
		}
	}
	if want := []string{`unused-build: builds entry "img/*.png" (@vercel/static) matches no file; check the glob`}; !slices.Equal(unused, want) {
		t.Errorf("diagnostics = %q, want %q", unused, want)
	}
	if len(p.Functions) != 1 || p.Functions[0].ID != "api/a.go" {
		t.Errorf("functions = %v, want api/a.go alone", p.Functions)
	}
	for _, tc := range []struct {
		rel   string
		isDir bool
		want  bool
	}{
		{"public/index.html", false, false},
		{"public/css/a.css", false, false},
		{"public", true, false},
		{"public/css", true, false},
		{"img", true, false},
		{"docs", true, true},
		{"docs/x.html", false, true},
		{"api/a.go", false, true}, // "*" matches one segment only
		{"index.html", false, false},
		{"vercel.json", false, true},
		{".env", false, true},
		{".env.production", false, true},
	} {
		if got := p.StaticExcluded(tc.rel, tc.isDir); got != tc.want {
			t.Errorf("StaticExcluded(%q, %v) = %v, want %v", tc.rel, tc.isDir, got, tc.want)
		}
	}
	if name := config.BuilderName("@vercel/python@4.1.0"); name != "@vercel/python" {
		t.Errorf("BuilderName = %q", name)
	}
}

// A builds entry whose src is invalid gets the one error about its src,
// not also a warning that it (with an empty src) matches no file.
func TestBuildWithInvalidSrc(t *testing.T) {
	for _, src := range []string{`"["`, `""`, `1`} {
		for _, use := range []string{"@vercel/go", "@vercel/static"} {
			p := mustLoad(t, writeTree(t, "-- api/a.go --\n"+goHandler+"-- vercel.json --\n"+
				`{"builds": [{"src": `+src+`, "use": "`+use+`"}, {"src": "api/*.go", "use": "@vercel/go"}]}`+"\n"), Options{})
			var got []string
			for _, d := range p.Diagnostics {
				got = append(got, d.Code)
			}
			want := "build-src-glob"
			if src == "1" {
				want = "invalid-type"
			}
			if !slices.Equal(got, []string{want}) {
				t.Errorf("src %s, use %s: diagnostics %q, want only %s\n%v", src, use, got, want, p.Diagnostics)
			}
		}
	}
}

// Issue 2: a symbolic link to a folder among the static files (a venv's
// env/lib64 -> lib) is a warning when the project loads, so inspect, the
// editor and dev say what the build leaves out. A broken link (an Emacs
// lock file) is left out without a word, and so is a link to a folder
// that is not a static file (under api/).
func TestStaticLinkToFolder(t *testing.T) {
	dir := writeTree(t, "-- api/index.py --\n"+pyHandler+"-- env/lib/python3.12/site.py --\nx\n-- env/pyvenv.cfg --\nhome = /usr/bin\n")
	for name, target := range map[string]string{
		"env/lib64":    "lib",
		".#index.py":   "root@host.1234:1700000000",
		"api/.#x.go":   "root@host.1234:1700000000",
		"api/shared":   "../env",
		"env/loop":     "loop",
		"env/bin-link": "pyvenv.cfg",
	} {
		if err := os.Symlink(target, filepath.Join(dir, filepath.FromSlash(name))); err != nil {
			t.Fatal(err)
		}
	}
	p := mustLoad(t, dir, Options{})
	if p.PublicDir != "." {
		t.Fatalf("PublicDir = %q, want the root", p.PublicDir)
	}
	if got, want := codes(p), []string{"env/lib64:0:" + CodeStaticLinkToFolder}; !slices.Equal(got, want) {
		t.Fatalf("diagnostics = %q, want %q", got, want)
	}
	d := p.Diagnostics[0]
	if d.Severity != runtimes.SeverityWarning || !strings.Contains(d.Message, "add env/lib64 (or a folder holding it) to .vercelignore") {
		t.Errorf("diagnostic = %s, want a warning that says to add env/lib64 to .vercelignore", d)
	}

	// Ignored, it is not a static file and nothing is said.
	if err := os.WriteFile(filepath.Join(dir, ".vercelignore"), []byte("env\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if p := mustLoad(t, dir, Options{}); len(p.Diagnostics) != 0 {
		t.Errorf("diagnostics with env ignored = %q, want none", codes(p))
	}
}

// A builds entry's src names a file with brackets as it is, as Vercel's
// builders take it (entrypoint === filename), besides as a glob.
func TestBuildsSrcNamesABracketedFile(t *testing.T) {
	p := mustLoad(t, writeTree(t, "-- api/[id].go --\n"+goHandler+"-- blog/[slug].html --\nx\n-- vercel.json --\n"+
		`{"builds": [{"src": "api/[id].go", "use": "@vercel/go"}, {"src": "blog/[slug].html", "use": "@vercel/static"}]}`+"\n"), Options{})
	if len(p.Functions) != 1 || p.Functions[0].File != "api/[id].go" {
		t.Errorf("functions = %v, want api/[id].go", p.Functions)
	}
	if p.StaticExcluded("blog/[slug].html", false) || p.StaticExcluded("blog", true) {
		t.Error("blog/[slug].html is not static")
	}
	for _, d := range p.Diagnostics {
		if d.Code == "unused-build" {
			t.Errorf("diagnostic %s", d)
		}
	}
}
