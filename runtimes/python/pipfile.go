package python

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	"github.com/BurntSushi/toml"
)

// pipfileSource is one [[source]] of a Pipfile (or _meta.sources of its
// lock): a package index.
type pipfileSource struct {
	Name string `toml:"name" json:"name"`
	URL  string `toml:"url" json:"url"`
}

// pipfileIndexes turns a Pipfile's sources into index options, as pipenv
// uses them: the first source is the default index and the others are
// searched too. used are the source names packages ask for with
// index = "name"; each must be one of sources. table names the table
// in messages.
func pipfileIndexes(sources []pipfileSource, used map[string]string, table string) (indexOptions, error) {
	var opts indexOptions
	names := map[string]bool{}
	for i, s := range sources {
		names[s.Name] = true
		if i == 0 {
			opts.setDefault(s.URL)
		} else {
			opts.addExtra(s.URL)
		}
	}
	pkgs := make([]string, 0, len(used))
	for pkg := range used {
		pkgs = append(pkgs, pkg)
	}
	sort.Strings(pkgs)
	for _, pkg := range pkgs {
		if !names[used[pkg]] {
			return indexOptions{}, fmt.Errorf("package %q: index %q is not a %s (lambdalens stops rather than look %s up on another index, where the name may belong to an unrelated package)", pkg, used[pkg], table, pkg)
		}
	}
	return opts, nil
}

// pipfileLockReqs pins every "default" package of a Pipfile.lock, with
// its _meta.sources as index options. dir is the lock's folder.
func pipfileLockReqs(b []byte, dir string) ([]string, error) {
	var lock struct {
		Meta struct {
			Sources []pipfileSource `json:"sources"`
		} `json:"_meta"`
		Default map[string]struct {
			Version string   `json:"version"`
			Extras  []string `json:"extras"`
			Markers string   `json:"markers"`
			Index   string   `json:"index"`
			Git     string   `json:"git"`
			Ref     string   `json:"ref"`
			Subdir  string   `json:"subdirectory"`
			Path    string   `json:"path"`
			File    string   `json:"file"`
		} `json:"default"`
	}
	if err := json.Unmarshal(b, &lock); err != nil {
		return nil, err
	}
	var reqs []string
	used := map[string]string{}
	for name, p := range lock.Default {
		r := parsedRequirement{name: name, marker: strings.TrimSpace(p.Markers)}
		if len(p.Extras) > 0 {
			r.extras = "[" + strings.Join(p.Extras, ",") + "]"
		}
		switch {
		case p.Git != "":
			reqs = append(reqs, r.withSource(vcsURL(p.Git, p.Ref, p.Subdir), ""))
		case p.Path != "":
			reqs = append(reqs, r.withSource(localLocation(p.Path, dir, true), ""))
		case p.File != "":
			reqs = append(reqs, r.withSource(localLocation(p.File, dir, true), ""))
		default:
			if p.Index != "" {
				used[name] = p.Index
			}
			reqs = append(reqs, requirement(name, p.Extras, p.Version, p.Markers))
		}
	}
	sort.Strings(reqs)
	opts, err := pipfileIndexes(lock.Meta.Sources, used, "_meta.sources entry")
	if err != nil {
		return nil, err
	}
	return append(opts.lines(), reqs...), nil
}

// pipfileReqs converts the [packages] table of a Pipfile, with its
// [[source]] indexes as index options; a path, file or git source
// becomes a direct reference. dir is the Pipfile's folder.
func pipfileReqs(b []byte, dir string) ([]string, error) {
	var doc struct {
		Source   []pipfileSource `toml:"source"`
		Packages map[string]any  `toml:"packages"`
	}
	if _, err := toml.Decode(string(b), &doc); err != nil {
		return nil, err
	}
	var reqs []string
	used := map[string]string{}
	for name, v := range doc.Packages {
		switch v := v.(type) {
		case string:
			reqs = append(reqs, requirement(name, nil, v, ""))
		case map[string]any:
			for _, k := range []string{"hg", "svn", "bzr"} {
				if _, ok := v[k]; ok {
					return nil, fmt.Errorf("[packages] %s uses a %s source, which lambdalens does not install; create .venv yourself", name, k)
				}
			}
			version, _ := v["version"].(string)
			markers, _ := v["markers"].(string)
			var extras []string
			if xs, ok := v["extras"].([]any); ok {
				for _, x := range xs {
					if s, ok := x.(string); ok {
						extras = append(extras, s)
					}
				}
			}
			r := parsedRequirement{name: name, marker: strings.TrimSpace(markers)}
			if len(extras) > 0 {
				r.extras = "[" + strings.Join(extras, ",") + "]"
			}
			switch {
			case tomlString(v, "git") != "":
				ref := tomlString(v, "ref")
				reqs = append(reqs, r.withSource(vcsURL(tomlString(v, "git"), ref, tomlString(v, "subdirectory")), ""))
			case tomlString(v, "path") != "":
				p := tomlString(v, "path")
				if !filepath.IsAbs(p) {
					p = filepath.Join(dir, filepath.FromSlash(p))
				}
				reqs = append(reqs, r.withSource(fileURL(filepath.Clean(p)), ""))
			case tomlString(v, "file") != "":
				reqs = append(reqs, r.withSource(localLocation(tomlString(v, "file"), dir, true), ""))
			default:
				if ix := tomlString(v, "index"); ix != "" {
					used[name] = ix
				}
				reqs = append(reqs, requirement(name, extras, version, markers))
			}
		default:
			return nil, fmt.Errorf("[packages] %s: unsupported value %v", name, v)
		}
	}
	sort.Strings(reqs)
	opts, err := pipfileIndexes(doc.Source, used, "[[source]]")
	if err != nil {
		return nil, fmt.Errorf("[packages] %w", err)
	}
	return append(opts.lines(), reqs...), nil
}

// requirement formats a PEP 508 specifier; version "*" means any.
func requirement(name string, extras []string, version, markers string) string {
	s := name
	if len(extras) > 0 {
		s += "[" + strings.Join(extras, ",") + "]"
	}
	if version = strings.TrimSpace(version); version != "" && version != "*" {
		s += version
	}
	if markers = strings.TrimSpace(markers); markers != "" {
		s += "; " + markers
	}
	return s
}
