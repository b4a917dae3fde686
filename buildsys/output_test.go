package buildsys

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lambdalens/lambdalens/buildsys/zipper"
	"github.com/lambdalens/lambdalens/project"
	"github.com/lambdalens/lambdalens/project/config"
	"github.com/lambdalens/lambdalens/runtimes"
)

func TestReplaceDir(t *testing.T) {
	unsupported := func(a, b string) error { return errors.ErrUnsupported }
	failing := func(a, b string) error { return errors.New("EIO") }
	tests := []struct {
		description string
		exch        func(a, b string) error
		old         bool
		wantErr     bool
	}{
		{"no previous output", exchange, false, false},
		{"exchange", exchange, true, false},
		{"fallback renames", unsupported, true, false},
		{"exchange error keeps the old output", failing, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.description, func(t *testing.T) {
			parent := t.TempDir()
			out, staging := filepath.Join(parent, "output"), filepath.Join(parent, "output.tmp-1")
			writeFile(t, filepath.Join(staging, configFile), "new")
			if tt.old {
				writeFile(t, filepath.Join(out, configFile), "old")
				writeFile(t, filepath.Join(out, "functions", "gone.func", "bootstrap"), "old")
			}
			err := replaceDir(staging, out, tt.exch)
			if (err != nil) != tt.wantErr {
				t.Fatalf("replaceDir error = %v, wantErr %v", err, tt.wantErr)
			}
			want := map[string]string{configFile: "-rw-r--r--\nnew"}
			if tt.wantErr {
				want = map[string]string{configFile: "-rw-r--r--\nold", "functions/gone.func/bootstrap": "-rw-r--r--\nold"}
			}
			if got := snapshot(t, out); !mapsEqual(got, want) {
				t.Errorf("output = %v, want %v", got, want)
			}
			ents, _ := os.ReadDir(parent)
			if n := len(ents); !tt.wantErr && n != 1 {
				t.Errorf("parent holds %d entries after the swap, want 1", n)
			}
		})
	}
}

func TestCopyStatic(t *testing.T) {
	p := testProject(t, map[string]string{
		"public/index.html":   "<h1>",
		"public/css/site.css": "body{}",
		"shared/logo.svg":     "<svg/>",
		"shared/dir/x.txt":    "x",
	})
	p.PublicDir = "public"
	if err := os.Symlink(filepath.Join(p.Root, "shared", "logo.svg"), filepath.Join(p.Root, "public", "logo.svg")); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	if _, err := copyStatic(p, out, ownFolders{}); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"index.html":   "-rw-r--r--\n<h1>",
		"css/site.css": "-rw-r--r--\nbody{}",
		"logo.svg":     "-rw-r--r--\n<svg/>", // the link's target, copied
	}
	if got := snapshot(t, filepath.Join(out, staticDir)); !mapsEqual(got, want) {
		t.Errorf("static = %v, want %v", got, want)
	}
	// Copies, never links: writing to the output must not reach the tree.
	a, _ := os.Stat(filepath.Join(p.Root, "public", "index.html"))
	b, _ := os.Stat(filepath.Join(out, staticDir, "index.html"))
	if os.SameFile(a, b) {
		t.Error("static file is a hardlink to the user's file")
	}

	// Issue 2: a link to a folder (a venv's lib64 -> lib), a link that
	// loops and a broken link (an Emacs lock file) are left out, as the
	// dev server leaves them out, instead of failing the build after
	// every function compiled.
	for name, target := range map[string]string{
		"dir":                filepath.Join(p.Root, "shared", "dir"),
		"loop":               ".",
		".#index.html":       "root@host.1234:1700000000",
		"css/lib64":          "../css",
		"css/gone.css":       filepath.Join(p.Root, "nowhere.css"),
		"css/site-alias.css": "site.css",
	} {
		if err := os.Symlink(target, filepath.Join(p.Root, "public", filepath.FromSlash(name))); err != nil {
			t.Fatal(err)
		}
	}
	out = t.TempDir()
	if _, err := copyStatic(p, out, ownFolders{}); err != nil {
		t.Fatalf("copyStatic with links to folders and broken links: %v", err)
	}
	want["css/site-alias.css"] = want["css/site.css"]
	if got := snapshot(t, filepath.Join(out, staticDir)); !mapsEqual(got, want) {
		t.Errorf("static with links to folders and broken links = %v, want %v", got, want)
	}

	// Public outside the project is refused.
	p.PublicDir = "../elsewhere"
	if _, err := copyStatic(p, t.TempDir(), ownFolders{}); err == nil {
		t.Error("copyStatic outside the project succeeded")
	}

	// Public at the root: the .vercel directory stays out.
	root := testProject(t, map[string]string{"index.html": "hi", ".vercel/output/config.json": "{}"})
	root.PublicDir = "."
	out = t.TempDir()
	if _, err := copyStatic(root, out, ownFolders{}); err != nil {
		t.Fatal(err)
	}
	if got := snapshot(t, filepath.Join(out, staticDir)); len(got) != 1 || got["index.html"] == "" {
		t.Errorf("static of the root = %v, want just index.html", got)
	}
}

// copyStatic leaves out what Vercel never uploads, as the dev server never
// serves it: the default ignore list and .vercelignore, whose patterns are
// relative to the project root, not to public/.
func TestCopyStaticIgnores(t *testing.T) {
	files := map[string]string{
		"public/index.html":                "<h1>",
		"public/.env.local":                "SECRET=1",
		"public/.DS_Store":                 "mac",
		"public/node_modules/pkg/index.js": "js",
		"public/private.txt":               "private",
		"public/drafts/a.html":             "draft",
		"public/docs/drafts/b.html":        "kept: the anchored pattern is /public/drafts",
		"public/logs/keep.log":             "kept by negation",
		"public/logs/x.log":                "log",
		".vercelignore":                    "public/private.txt\n/public/drafts\n*.log\n!public/logs/keep.log\n",
	}
	p := testProject(t, files)
	p.PublicDir = "public"
	out := t.TempDir()
	if _, err := copyStatic(p, out, ownFolders{}); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"index.html":         "-rw-r--r--\n<h1>",
		"docs/drafts/b.html": "-rw-r--r--\n" + files["public/docs/drafts/b.html"],
		"logs/keep.log":      "-rw-r--r--\nkept by negation",
	}
	if got := snapshot(t, filepath.Join(out, staticDir)); !mapsEqual(got, want) {
		t.Errorf("static = %v, want %v", got, want)
	}

	// The legacy .nowignore, when there is no .vercelignore.
	p = testProject(t, map[string]string{"public/a.txt": "a", "public/b.txt": "b", ".nowignore": "b.txt\n"})
	p.PublicDir = "public"
	out = t.TempDir()
	if _, err := copyStatic(p, out, ownFolders{}); err != nil {
		t.Fatal(err)
	}
	if got := snapshot(t, filepath.Join(out, staticDir)); len(got) != 1 || got["a.txt"] == "" {
		t.Errorf("static with .nowignore = %v, want just a.txt", got)
	}
}

// With cleanUrls, config.json "overrides" serves each static x.html at x,
// as Vercel's writeStaticFile does; ignored files get none.
func TestCopyStaticCleanURLs(t *testing.T) {
	p := testProject(t, map[string]string{
		"public/index.html":      "home",
		"public/about.html":      "about",
		"public/docs/intro.html": "intro",
		"public/site.css":        "body{}",
		"public/page.htm":        "not .html",
		"public/draft.html":      "ignored",
		".vercelignore":          "public/draft.html\n",
	})
	p.PublicDir = "public"
	overrides, err := copyStatic(p, t.TempDir(), ownFolders{})
	if err != nil {
		t.Fatal(err)
	}
	if overrides != nil {
		t.Errorf("overrides without cleanUrls = %v, want none", overrides)
	}
	p.Config.CleanURLs = true
	overrides, err = copyStatic(p, t.TempDir(), ownFolders{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]staticOverride{
		"index.html":      {Path: "index"},
		"about.html":      {Path: "about"},
		"docs/intro.html": {Path: "docs/intro"},
	}
	if !reflect.DeepEqual(overrides, want) {
		t.Errorf("overrides = %v, want %v", overrides, want)
	}
}

// .vc-config.json carries memory and maxDuration only when vercel.json
// sets them, as Vercel writes them: the model's defaults are the dev
// server's, and the platform has its own.
func TestVCConfigWritesOnlyConfigured(t *testing.T) {
	art := &runtimes.Artifact{Handler: "bootstrap", Runtime: "provided.al2023"}
	hello, py := fn("api/hello.go"), fn("api/py.py")
	py.Config.Pattern, py.Config.MaxDuration = "api/*.py", 60
	p := testProject(t, nil, hello, py)
	p.Config.Functions = []config.FunctionRule{{Pattern: "api/*.py", MaxDuration: 60}}
	for _, tt := range []struct {
		fn   *project.Function
		want string
	}{
		{hello, `{"handler":"bootstrap","runtime":"provided.al2023","architecture":"x86_64","environment":{}}`},
		{py, `{"handler":"bootstrap","runtime":"provided.al2023","architecture":"x86_64","maxDuration":60,"environment":{}}`},
	} {
		c, err := newVCConfig(p, tt.fn, art, "x86_64")
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := json.Marshal(c); string(got) != tt.want {
			t.Errorf("%s: .vc-config.json = %s, want %s", tt.fn.File, got, tt.want)
		}
	}
}

// consumerName matches Vercel's sanitizeConsumerName, which names the
// consumer of a queue/v2beta trigger after its "functions" pattern.
func TestConsumerName(t *testing.T) {
	for pattern, want := range map[string]string{
		"api/*.py":          "api_S_2A_Dpy",
		"api/my_queue.go":   "api_Smy__queue_Dgo",
		"api/a-b/[id].go":   "api_Sa-b_S_5Bid_5D_Dgo",
		"api/café.py":       "api_Scaf_E9_Dpy",
		"api/\U0001F600.py": "api_S_D83D_Dpy",
	} {
		if got := consumerName(pattern); got != want {
			t.Errorf("consumerName(%q) = %q, want %q", pattern, got, want)
		}
	}
}

func TestRunZipsReproducibly(t *testing.T) {
	t.Setenv("SOURCE_DATE_EPOCH", "1700000000")
	zipOf := func() []byte {
		p := testProject(t, map[string]string{"api/a.go": "package handler", "api/b.py": "app = 1"}, fn("api/a.go"), fn("api/b.py"))
		rts := map[runtimes.Language]runtimes.Runtime{
			runtimes.Go: &fakeRuntime{lang: runtimes.Go}, runtimes.Python: &fakeRuntime{lang: runtimes.Python},
		}
		sum, err := Run(context.Background(), Options{Project: p, Runtimes: rts, Zip: true})
		if err != nil {
			t.Fatal(err)
		}
		if sum.Functions[0].ZipSize == 0 || sum.Functions[0].Zip == "" {
			t.Errorf("summary has no zip: %+v", sum.Functions[0])
		}
		data, err := os.ReadFile(filepath.Join(p.Root, ".vercel", "output", "functions", "api", "b.zip"))
		if err != nil {
			t.Fatal(err)
		}
		// The output folder is as readable as the folders in it (it is
		// made as a temporary folder, private by default).
		if st, err := os.Stat(filepath.Join(p.Root, ".vercel", "output")); err != nil || st.Mode().Perm() != 0o755 {
			t.Errorf(".vercel/output: %v, %v; want mode 0755", st.Mode(), err)
		}
		return data
	}
	// Two different project directories (so different paths, inodes and
	// mtimes) give the same bytes.
	a, b := zipOf(), zipOf()
	if !bytes.Equal(a, b) {
		t.Fatal("zips of the same source differ")
	}
	zr, err := zip.NewReader(bytes.NewReader(a), int64(len(a)))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
		if !f.Modified.Equal(time.Unix(1700000000, 0)) {
			t.Errorf("%s: modified %v, want SOURCE_DATE_EPOCH", f.Name, f.Modified)
		}
	}
	if got := strings.Join(names, " "); got != "_vendor/bin/tool vc__handler__python.py" {
		t.Errorf("entries = %s (no .vc-config.json, sorted)", got)
	}
	if zr.File[0].Mode().Perm() != 0o755 || zr.File[1].Mode().Perm() != 0o644 {
		t.Errorf("modes = %v %v", zr.File[0].Mode(), zr.File[1].Mode())
	}

	t.Setenv("SOURCE_DATE_EPOCH", "soon")
	p := testProject(t, map[string]string{"api/a.go": "package handler"}, fn("api/a.go"))
	if _, err := Run(context.Background(), Options{Project: p, Runtimes: goRuntimes(&fakeRuntime{lang: runtimes.Go}), Zip: true}); err == nil {
		t.Error("a bad SOURCE_DATE_EPOCH was accepted")
	}
	if got, _ := zipper.SourceDateEpoch(""); !got.Equal(zipper.Epoch) {
		t.Errorf("default zip time = %v", got)
	}
}

func TestCachedOutputDoesNotTouchTheCache(t *testing.T) {
	p := threeFunctions(t)
	f := &fakeRuntime{lang: runtimes.Go, write: func(dir string) error {
		// A runtime that writes its own .vc-config.json: ours replaces it.
		return os.WriteFile(filepath.Join(dir, vcConfigFile), []byte("{\"runtime's\":1}"), 0o644)
	}}
	opts := Options{Project: p, Runtimes: goRuntimes(f)}
	for range 2 {
		if _, err := Run(context.Background(), opts); err != nil {
			t.Fatal(err)
		}
	}
	entries, _ := filepath.Glob(filepath.Join(p.Root, ".vercel", "cache", "build", "*", cacheFilesDir, vcConfigFile))
	for _, e := range entries {
		if data, _ := os.ReadFile(e); string(data) != "{\"runtime's\":1}" {
			t.Errorf("%s was modified through a hardlink: %s", e, data)
		}
	}
	if len(entries) != 3 {
		t.Errorf("%d cache entries hold a .vc-config.json, want 3", len(entries))
	}
}

func TestRunCachesZips(t *testing.T) {
	p := testProject(t, map[string]string{"api/a.go": "package handler"}, fn("api/a.go"))
	opts := Options{Project: p, Runtimes: goRuntimes(&fakeRuntime{lang: runtimes.Go}), Zip: true, ZipTime: time.Unix(1600000000, 0)}
	first, err := Run(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	cached := filepath.Join(p.Root, ".vercel", "cache", "build", first.Functions[0].Key, "lambda-1600000000.zip")
	want, err := os.ReadFile(cached)
	if err != nil {
		t.Fatalf("the zip was not kept in the cache: %v", err)
	}
	second, err := Run(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(second.Functions[0].Zip)
	if err != nil || !bytes.Equal(got, want) || second.Functions[0].ZipSize != int64(len(want)) {
		t.Errorf("second zip (%v) differs from the cached one", err)
	}
	// The output's zip is a link to the cached one: a write to it changes
	// the cached zip, which is then made again rather than reused.
	writeThrough(t, second.Functions[0].Zip, int64(len(want)), "tampered")
	if _, err := Run(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	for _, zip := range []string{second.Functions[0].Zip, cached} {
		if got, err := os.ReadFile(zip); err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s after a write to the output's zip: %d bytes (%v), want the %d of the first", zip, len(got), err, len(want))
		}
	}
	// Another timestamp is another zip.
	opts.ZipTime = time.Unix(1700000000, 0)
	third, err := Run(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(third.Functions[0].Zip); bytes.Equal(got, want) {
		t.Error("a new SOURCE_DATE_EPOCH reused the old zip")
	}
}

// A project of api functions without public/ publishes its other files,
// as Vercel does, minus api/, package.json, README.md and the ignored.
func TestCopyStaticProjectRoot(t *testing.T) {
	root := t.TempDir()
	for name, body := range map[string]string{
		"api/hello.go":     "package handler\n\nimport \"net/http\"\n\nfunc Handler(w http.ResponseWriter, r *http.Request) {}\n",
		"api/data.json":    "{}",
		"index.html":       "<h1>",
		"css/site.css":     "body{}",
		"lib/helper.go":    "package lib\n",
		"README.md":        "readme",
		"package.json":     "{}",
		".env.local":       "SECRET=1",
		"private/key.txt":  "key",
		".vercelignore":    "private/\n",
		".vercel/project":  "x",
		"node_modules/x/y": "y",
	} {
		writeFile(t, filepath.Join(root, filepath.FromSlash(name)), body)
	}
	p, err := project.Load(t.Context(), root, project.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if p.PublicDir != "." {
		t.Fatalf("PublicDir = %q, want the project root", p.PublicDir)
	}
	out := t.TempDir()
	if _, err := copyStatic(p, out, ownFolders{}); err != nil {
		t.Fatal(err)
	}
	got := snapshot(t, filepath.Join(out, staticDir))
	var names []string
	for name := range got {
		names = append(names, name)
	}
	slices.Sort(names)
	if want := []string{".vercelignore", "css/site.css", "index.html", "lib/helper.go"}; !slices.Equal(names, want) {
		t.Errorf("static = %q, want %q", names, want)
	}
}

// The build's own folders are never static files, though the project
// root is the static folder: an output and a cache inside the project
// (a CI's usual --out and --cache-dir) stay out of static/, on the first
// build and the next.
func TestRunKeepsItsFoldersOutOfStatic(t *testing.T) {
	// The second time, the output and the cache are named through a
	// symbolic link to the project; the third time the cache is a link in
	// the project to a folder elsewhere (a CI's mounted cache). They are
	// recognized by identity.
	for _, how := range []string{"inside", "via a link to the project", "a link in the project"} {
		real := t.TempDir()
		writeFile(t, filepath.Join(real, "api", "a.go"), "package handler\n\nimport \"net/http\"\n\nfunc Handler(w http.ResponseWriter, r *http.Request) {}\n")
		writeFile(t, filepath.Join(real, "index.html"), "<h1>")
		out, cache := "out", "ci-cache"
		switch how {
		case "via a link to the project":
			link := filepath.Join(t.TempDir(), "link")
			if err := os.Symlink(real, link); err != nil {
				t.Fatal(err)
			}
			out, cache = filepath.Join(link, "out"), filepath.Join(link, "ci-cache")
		case "a link in the project":
			if err := os.Symlink(t.TempDir(), filepath.Join(real, "ci-cache")); err != nil {
				t.Fatal(err)
			}
		}
		p, err := project.Load(t.Context(), real, project.Options{})
		if err != nil {
			t.Fatal(err)
		}
		rts := map[runtimes.Language]runtimes.Runtime{runtimes.Go: &fakeRuntime{lang: runtimes.Go}}
		for range 2 {
			if _, err := Run(t.Context(), Options{Project: p, Runtimes: rts, OutDir: out, CacheDir: cache}); err != nil {
				t.Fatal(err)
			}
			var names []string
			for name := range snapshot(t, filepath.Join(real, "out", staticDir)) {
				names = append(names, name)
			}
			if !slices.Equal(names, []string{"index.html"}) {
				t.Fatalf("%s: static = %q, want just index.html", how, names)
			}
		}
	}
}
