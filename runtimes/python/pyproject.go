package python

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"

	"github.com/BurntSushi/toml"
)

// pyprojectDoc is what lambdalens reads of a pyproject.toml.
type pyprojectDoc struct {
	Project struct {
		Name         string   `toml:"name"`
		Dependencies []string `toml:"dependencies"`
	} `toml:"project"`
	Tool struct {
		UV     uvSettings `toml:"uv"`
		Poetry struct {
			Dependencies map[string]any `toml:"dependencies"`
		} `toml:"poetry"`
	} `toml:"tool"`
}

// uvSettings are the [tool.uv] settings (or a uv.toml's) that decide
// where packages come from.
type uvSettings struct {
	Sources       map[string]any `toml:"sources"`
	Index         []uvIndex      `toml:"index"`
	IndexURL      string         `toml:"index-url"`
	ExtraIndexURL []string       `toml:"extra-index-url"`
	FindLinks     []string       `toml:"find-links"`
	NoIndex       bool           `toml:"no-index"`
	Workspace     *struct {
		Members []string `toml:"members"`
		Exclude []string `toml:"exclude"`
	} `toml:"workspace"`
}

// uvIndex is one [[tool.uv.index]].
type uvIndex struct {
	Name     string `toml:"name"`
	URL      string `toml:"url"`
	Default  bool   `toml:"default"`
	Explicit bool   `toml:"explicit"`
	Format   string `toml:"format"` // "flat": a find-links location
	dir      string // of the file that defines it, for relative URLs
}

// readPyproject decodes the pyproject.toml at file; name is how messages
// call it. A uv.toml beside it is merged into [tool.uv], as uv and
// Vercel do; the files read are returned.
func readPyproject(file, name string) (*pyprojectDoc, []string, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, nil, fmt.Errorf("reading %s: %w", name, err)
	}
	var doc pyprojectDoc
	if _, err := toml.Decode(string(b), &doc); err != nil {
		return nil, nil, fmt.Errorf("reading the dependencies in %s: %w", name, err)
	}
	files := []string{file}
	uvToml := filepath.Join(filepath.Dir(file), "uv.toml")
	if b, err := os.ReadFile(uvToml); err == nil {
		var s uvSettings
		if _, err := toml.Decode(string(b), &s); err != nil {
			return nil, nil, fmt.Errorf("reading %s: %w", path.Join(path.Dir(name), "uv.toml"), err)
		}
		u := &doc.Tool.UV
		if u.Sources == nil {
			u.Sources = s.Sources
		}
		u.Index = append(u.Index, s.Index...)
		if u.IndexURL == "" {
			u.IndexURL = s.IndexURL
		}
		u.ExtraIndexURL = append(u.ExtraIndexURL, s.ExtraIndexURL...)
		u.FindLinks = append(u.FindLinks, s.FindLinks...)
		u.NoIndex = u.NoIndex || s.NoIndex
		files = append(files, uvToml)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, nil, fmt.Errorf("reading %s: %w", uvToml, err)
	}
	dir := filepath.Dir(file)
	for i := range doc.Tool.UV.Index {
		doc.Tool.UV.Index[i].dir = dir
	}
	return &doc, files, nil
}

// uvWorkspace is the uv workspace a project is a member of.
type uvWorkspace struct {
	// dir is the workspace root's absolute folder, name its
	// pyproject.toml relative to the project root.
	dir, name string
	doc       *pyprojectDoc
	files     []string
}

// findUVWorkspace returns the uv workspace whose members include the
// project in rel (slash-separated, relative to root), or nil. As uv does,
// it walks up from the project's parent to the first pyproject.toml with
// [tool.uv.workspace], without leaving root; a project that workspace
// does not include (or excludes) is not a member of any.
func findUVWorkspace(root, rel string) (*uvWorkspace, error) {
	if rel == "." {
		return nil, nil
	}
	for _, d := range manifestDirs(path.Dir(rel)) {
		name := path.Join(d, "pyproject.toml")
		file := filepath.Join(root, filepath.FromSlash(name))
		doc, files, err := readPyproject(file, name)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		ws := doc.Tool.UV.Workspace
		if ws == nil {
			continue
		}
		member := rel
		if d != "." {
			member = rel[len(d)+1:]
		}
		if !globsMatch(ws.Members, member) || globsMatch(ws.Exclude, member) {
			return nil, nil
		}
		return &uvWorkspace{dir: filepath.Dir(file), name: name, doc: doc, files: files}, nil
	}
	return nil, nil
}

// globsMatch reports whether one of uv's member globs matches dir
// (slash-separated, relative to the workspace root).
func globsMatch(globs []string, dir string) bool {
	for _, g := range globs {
		if ok, _ := path.Match(path.Clean(g), dir); ok {
			return true
		}
	}
	return false
}

// memberDir returns the folder of the workspace member named name, or "".
func (ws *uvWorkspace) memberDir(name string) string {
	want := normalizeName(name)
	if ws.doc.Project.Name != "" && normalizeName(ws.doc.Project.Name) == want {
		return ws.dir
	}
	for _, g := range ws.doc.Tool.UV.Workspace.Members {
		matches, _ := filepath.Glob(filepath.Join(ws.dir, filepath.FromSlash(g), "pyproject.toml"))
		for _, m := range matches {
			rel, _ := filepath.Rel(ws.dir, filepath.Dir(m))
			if globsMatch(ws.doc.Tool.UV.Workspace.Exclude, filepath.ToSlash(rel)) {
				continue
			}
			var doc pyprojectDoc
			if _, err := toml.DecodeFile(m, &doc); err == nil && normalizeName(doc.Project.Name) == want {
				return filepath.Dir(m)
			}
		}
	}
	return ""
}

// pyprojectRequirements converts [project.dependencies] of the
// pyproject.toml in dir (name, relative to the root, for messages) into
// requirement lines that install what uv would, honouring uv's settings
// as `uv lock` does: [tool.uv.sources] become direct references (a path
// is installed from its absolute file:// URL, not editable, as Vercel's
// `uv sync --no-editable` does; git and url sources as pip and uv write
// them; an index source by its index) and [[tool.uv.index]],
// index-url, extra-index-url and find-links become option lines. In a
// workspace member, the workspace root's sources and indexes apply too,
// the member's first. What cannot be expressed is an error naming the
// file and the table: resolving such a name on PyPI instead could
// install an unrelated package of the same name.
func pyprojectRequirements(name, dir string, doc *pyprojectDoc, ws *uvWorkspace) ([]string, error) {
	settings := []*uvSettings{&doc.Tool.UV}
	dirs := []string{dir}
	if ws != nil && ws.dir != dir {
		settings = append(settings, &ws.doc.Tool.UV)
		dirs = append(dirs, ws.dir)
	}
	var opts indexOptions
	indexes := map[string]uvIndex{}
	for i, s := range settings {
		if s.IndexURL != "" && opts.indexURL == "" {
			opts.setDefault(localLocation(s.IndexURL, dirs[i], true))
		}
		for _, ix := range s.Index {
			if _, ok := indexes[ix.Name]; ix.Name != "" && !ok {
				indexes[ix.Name] = ix
			}
			loc := localLocation(ix.URL, ix.dir, ix.Format != "flat")
			switch {
			case ix.Format == "flat":
				if !ix.Explicit && !slices.Contains(opts.findLinks, loc) {
					opts.findLinks = append(opts.findLinks, loc)
				}
			case ix.Default:
				if opts.indexURL == "" {
					opts.setDefault(loc)
				}
			case !ix.Explicit:
				opts.addExtra(loc)
			}
		}
		for _, u := range s.ExtraIndexURL {
			opts.addExtra(localLocation(u, dirs[i], true))
		}
		for _, u := range s.FindLinks {
			if loc := localLocation(u, dirs[i], false); !slices.Contains(opts.findLinks, loc) {
				opts.findLinks = append(opts.findLinks, loc)
			}
		}
		opts.noIndex = opts.noIndex || s.NoIndex
	}

	// The member's source of a package wins over the workspace root's.
	sources := map[string]any{}
	sourceDir := map[string]string{}
	for i := len(settings) - 1; i >= 0; i-- {
		for pkg, src := range settings[i].Sources {
			sources[normalizeName(pkg)] = src
			sourceDir[normalizeName(pkg)] = dirs[i]
		}
	}

	var reqs []string
	for _, dep := range doc.Project.Dependencies {
		r, ok := parseRequirement(dep)
		key := normalizeName(r.name)
		src, has := sources[key]
		if !ok || r.direct || !has {
			reqs = append(reqs, dep)
			continue
		}
		fail := func(format string, a ...any) error {
			return fmt.Errorf("%s: [tool.uv.sources] %s: %s (lambdalens stops rather than look %s up on the package index, where the name may belong to an unrelated package)", name, r.name, fmt.Sprintf(format, a...), r.name)
		}
		var alts []map[string]any
		switch src := src.(type) {
		case map[string]any:
			alts = []map[string]any{src}
		case []map[string]any:
			alts = src
		case []any:
			for _, a := range src {
				t, ok := a.(map[string]any)
				if !ok {
					return nil, fail("a source is not a table")
				}
				alts = append(alts, t)
			}
		default:
			return nil, fail("the source is not a table")
		}
		used := false
		for _, alt := range alts {
			if _, ok := alt["extra"]; ok {
				continue // for an optional extra, which is not installed
			}
			if _, ok := alt["group"]; ok {
				continue // for a dependency group, which is not installed
			}
			marker := tomlString(alt, "marker")
			var loc string
			switch {
			case tomlString(alt, "index") != "":
				ixName := tomlString(alt, "index")
				ix, ok := indexes[ixName]
				if !ok {
					return nil, fail("index %q is not defined by a [[tool.uv.index]]", ixName)
				}
				if ix.Format == "flat" {
					if l := localLocation(ix.URL, ix.dir, false); !slices.Contains(opts.findLinks, l) {
						opts.findLinks = append(opts.findLinks, l)
					}
				} else if l := localLocation(ix.URL, ix.dir, true); l != opts.indexURL {
					opts.addExtra(l)
				}
			case tomlString(alt, "path") != "":
				p := tomlString(alt, "path")
				if !filepath.IsAbs(p) {
					p = filepath.Join(sourceDir[key], filepath.FromSlash(p))
				}
				loc = fileURL(filepath.Clean(p))
			case tomlString(alt, "git") != "":
				ref := tomlString(alt, "rev")
				for _, k := range []string{"tag", "branch"} {
					if ref == "" {
						ref = tomlString(alt, k)
					}
				}
				loc = vcsURL(tomlString(alt, "git"), ref, tomlString(alt, "subdirectory"))
			case tomlString(alt, "url") != "":
				loc = withSubdirectory(tomlString(alt, "url"), tomlString(alt, "subdirectory"))
			case alt["workspace"] == true:
				var member string
				if ws != nil {
					member = ws.memberDir(r.name)
				}
				if member == "" {
					return nil, fail("workspace = true, but no member of a uv workspace around %s is named %s", name, r.name)
				}
				loc = fileURL(member)
			default:
				keys := make([]string, 0, len(alt))
				for k := range alt {
					keys = append(keys, k)
				}
				sort.Strings(keys)
				return nil, fail("a source with the keys %v, which lambdalens does not know", keys)
			}
			reqs = append(reqs, r.withSource(loc, marker))
			used = true
		}
		if !used {
			reqs = append(reqs, dep)
		}
	}
	return append(opts.lines(), reqs...), nil
}

// poetryOnly reports whether doc declares dependencies only in
// [tool.poetry.dependencies] (besides python), which neither uv nor
// Vercel install.
func (doc *pyprojectDoc) poetryOnly() bool {
	if len(doc.Project.Dependencies) > 0 {
		return false
	}
	for k := range doc.Tool.Poetry.Dependencies {
		if k != "python" {
			return true
		}
	}
	return false
}

// warnPoetryOnly warns about each pyproject.toml that the dependency
// lookup from dir (see findDeps) passes over although it declares
// dependencies, in [tool.poetry.dependencies] only: as on Vercel, whose
// `uv lock` reads [project] alone, they are not installed, and the
// function fails at its first import of one.
func warnPoetryOnly(log *slog.Logger, root, dir string) {
	for _, d := range manifestDirs(relDir(dir)) {
		name := path.Join(d, "pyproject.toml")
		if doc, _, err := readPyproject(filepath.Join(root, filepath.FromSlash(name)), name); err == nil && doc.poetryOnly() {
			log.Warn(name + " declares dependencies only in [tool.poetry.dependencies], which neither Vercel nor lambdalens installs (uv reads [project] dependencies): list them in [project] dependencies, or export them to requirements.txt")
		}
		if src, err := findDepsIn(root, d); err != nil || src != nil {
			return
		}
	}
}
