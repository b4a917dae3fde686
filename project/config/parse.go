package config

import (
	"cmp"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/lambdalens/lambdalens/runtimes"
)

// Parse reads a vercel.json: it parses src (see ParseJSON), fills a Config
// with everything it could read and validates it the way the Vercel CLI
// does, plus the limits lambdalens adds. path is the slash path of the file
// relative to the project root; it becomes Config.Path and the File of
// every diagnostic. Diagnostics are sorted by position. Parse never panics
// and always returns a non-nil Config.
func Parse(path string, src []byte) (*Config, []runtimes.Diagnostic) {
	p := parseJSON(path, src)
	cfg := &Config{Path: path, Root: p.root}
	v := &validator{file: path, cfg: cfg, diags: p.diags, partial: p.stop}
	v.config(p.root)
	slices.SortStableFunc(v.diags, func(a, b runtimes.Diagnostic) int {
		return cmp.Compare(a.Range.Start.Offset, b.Range.Start.Offset)
	})
	return cfg, v.diags
}

// topLevel maps every top-level key lambdalens knows to its check. Keys
// that only matter on Vercel's platform get a type check and nothing else.
var topLevel = map[string]func(v *validator, m *Node){
	"$schema":                 kinds(String),
	"alias":                   kinds(String, Array),
	"build":                   (*validator).build,
	"buildCommand":            kinds(String, Null),
	"builds":                  (*validator).builds,
	"bulkRedirectsPath":       kinds(String, Null),
	"bunVersion":              kinds(String),
	"cleanUrls":               func(v *validator, m *Node) { v.cfg.CleanURLs, _ = v.boolean(m, m.Key) },
	"crons":                   (*validator).crons,
	"devCommand":              kinds(String, Null),
	"env":                     func(v *validator, m *Node) { v.cfg.Env = v.env(m, m.Key) },
	"experimentalServices":    kinds(Object),
	"fluid":                   kinds(Bool),
	"framework":               (*validator).framework,
	"functionFailoverRegions": func(v *validator, m *Node) { v.strList(m, m.Key) },
	"functions":               (*validator).functions,
	"git":                     kinds(Object),
	"github":                  kinds(Object),
	"headers":                 (*validator).headers,
	"ignoreCommand":           kinds(String, Null),
	"images":                  kinds(Object),
	"installCommand":          kinds(String, Null),
	"name":                    kinds(String),
	"outputDirectory":         (*validator).outputDirectory,
	"proxy":                   kinds(Object, Array),
	"public":                  kinds(Bool),
	"redirects":               (*validator).redirects,
	"regions":                 func(v *validator, m *Node) { v.strList(m, m.Key) },
	"relatedProjects":         func(v *validator, m *Node) { v.strList(m, m.Key) },
	"rewrites":                (*validator).rewrites,
	"routes":                  (*validator).routes,
	"scope":                   kinds(String),
	"services":                kinds(Object, Array),
	"trailingSlash":           (*validator).trailingSlash,
	"version":                 kinds(Number),
}

// topLevelNames are the keys of topLevel, sorted, for "did you mean".
var topLevelNames = slices.Sorted(maps.Keys(topLevel))

func kinds(ks ...Kind) func(v *validator, m *Node) {
	return func(v *validator, m *Node) { v.want(m, m.Key, ks...) }
}

func (v *validator) config(root *Node) {
	if root == nil {
		return
	}
	if root.Kind != Object {
		v.errorf(root.Range, "config-not-object", "vercel.json must hold a JSON object ({ ... }), got %s", describe(root))
		return
	}
	v.duplicates(root)
	for _, m := range root.Children {
		if root.Get(m.Key) != m {
			continue // a duplicate: only the last value counts, as with JSON.parse
		}
		check, ok := topLevel[m.Key]
		if !ok {
			hint := v.didYouMean(m.Key, topLevelNames)
			if hint == "" {
				hint = "; lambdalens ignores it (see https://vercel.com/docs/project-configuration for the valid keys)"
			}
			v.warnf(m.KeyRange, "unknown-key", "unknown key %q in vercel.json%s", m.Key, hint)
			continue
		}
		check(v, m)
	}
	if !v.partial {
		v.crossKeys(root)
	}
}

// crossKeys checks the rules that involve several top-level keys.
func (v *validator) crossKeys(root *Node) {
	if f, b := root.Get("functions"), root.Get("builds"); f != nil && b != nil {
		v.add(runtimes.SeverityError, f.KeyRange, "functions-and-builds",
			`"functions" cannot be used together with "builds" (Vercel rejects this mix); remove "builds" and let the files under api/ be detected, or move the settings into each build's "config"`,
			runtimes.Related{File: v.file, Range: b.KeyRange, Message: `"builds" is set here`})
	}
	routes := root.Get("routes")
	if routes == nil {
		return
	}
	var others []string
	var related []runtimes.Related
	for _, k := range []string{"rewrites", "redirects", "headers", "cleanUrls", "trailingSlash"} {
		if m := root.Get(k); m != nil {
			others = append(others, strconv.Quote(k))
			related = append(related, runtimes.Related{File: v.file, Range: m.KeyRange, Message: fmt.Sprintf("%q is set here", k)})
		}
	}
	if len(others) == 0 {
		return
	}
	v.add(runtimes.SeverityError, routes.KeyRange, "routes-mixed",
		fmt.Sprintf(`"routes" cannot be used together with %s (Vercel rejects this mix); express the routes as rewrites, redirects and headers, or drop those keys and use only "routes"`, joinAnd(others)),
		related...)
}

func joinAnd(items []string) string {
	if len(items) <= 1 {
		return strings.Join(items, "")
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}

// duplicates warns about every repeated member name of every object in
// the tree, at the later key: JSON.parse keeps only the last value.
func (v *validator) duplicates(n *Node) {
	if n.Kind == Object && len(n.Children) > 1 {
		seen := make(map[string]*Node, len(n.Children))
		for _, m := range n.Children {
			if first, ok := seen[m.Key]; ok {
				v.add(runtimes.SeverityWarning, m.KeyRange, "json-duplicate-key",
					fmt.Sprintf("duplicate key %q; only this last value counts (JSON.parse drops the earlier one), remove one of them", m.Key),
					runtimes.Related{File: v.file, Range: first.KeyRange, Message: "the earlier key"})
				continue
			}
			seen[m.Key] = m
		}
	}
	for _, c := range n.Children {
		v.duplicates(c)
	}
}

func (v *validator) trailingSlash(m *Node) {
	if b, ok := v.boolean(m, m.Key); ok {
		v.cfg.TrailingSlash = &b
	}
}

func (v *validator) framework(m *Node) {
	if v.want(m, m.Key, String, Null) {
		v.cfg.Framework = m.Str
	}
}

func (v *validator) outputDirectory(m *Node) {
	if v.want(m, m.Key, String, Null) {
		v.cfg.OutputDirectory = m.Str
	}
}

// build checks {"build": {"env": {...}}}.
func (v *validator) build(m *Node) {
	if !v.want(m, m.Key, Object) {
		return
	}
	v.members(m, m.Key, []string{"env"}, func(e *Node, label string) {
		v.cfg.BuildEnv = v.env(e, label)
	})
}

var envNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// env reads an object of string values. Names a shell cannot export get a
// warning.
func (v *validator) env(m *Node, label string) map[string]string {
	if !v.want(m, label, Object) {
		return nil
	}
	out := make(map[string]string, len(m.Children))
	for _, e := range m.Children {
		if !envNameRE.MatchString(e.Key) {
			v.warnf(e.KeyRange, "env-invalid-name",
				"%q is not a valid environment variable name (letters, digits and '_', not starting with a digit); programs may not be able to read it", e.Key)
		}
		if s, ok := v.str(e, memberLabel(label, e.Key)); ok {
			out[e.Key] = s
		}
	}
	return out
}

// crons checks the shape of "crons": [{"path": "/api/x", "schedule": "..."}].
// lambdalens does not run cron jobs; the entries only matter on Vercel.
func (v *validator) crons(m *Node) {
	if !v.want(m, m.Key, Array) {
		return
	}
	for i, c := range m.Children {
		label := indexLabel(m.Key, i)
		if !v.want(c, label, Object) {
			continue
		}
		v.require(c, label, "path", "schedule")
		v.members(c, label, []string{"path", "schedule"}, func(p *Node, pl string) {
			s, ok := v.str(p, pl)
			if ok && p.Key == "path" && !strings.HasPrefix(s, "/") {
				v.errorf(p.Range, "cron-path", `%s must start with "/" (got %q)`, pl, shorten(s, 40))
			}
		})
	}
}
