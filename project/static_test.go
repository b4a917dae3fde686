package project

import "testing"

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
		if got := p.StaticExcluded(rel); got != want {
			t.Errorf("StaticExcluded(%q) = %v, want %v", rel, got, want)
		}
	}
	if (&Project{PublicDir: "public"}).StaticExcluded("public/api/x") {
		t.Error("StaticExcluded excludes files of a public folder")
	}
}
