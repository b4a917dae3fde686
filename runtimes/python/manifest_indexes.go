package python

import (
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

// indexOptions are the package index settings of a manifest, written as
// option lines at the top of the requirements it converts to. pip and uv
// both read --index-url, --extra-index-url and --find-links in a
// requirements file, so the lines reach either installer, in a build and
// in the managed dev venv alike, and they are part of the dependency
// cache key with the requirements.
type indexOptions struct {
	// indexURL replaces the default index (PyPI); empty keeps it.
	indexURL string
	// extra are further indexes. uv searches them before the default
	// index and takes a package from the first that has it; pip merges
	// them with the default and takes the highest version.
	extra []string
	// findLinks are flat indexes: folders or pages of links to files.
	findLinks []string
	// noIndex turns every index off (find-links only).
	noIndex bool
}

// addExtra adds an extra index unless it is PyPI's or already there.
func (o *indexOptions) addExtra(u string) {
	if u == "" || isPyPI(u) || u == o.indexURL || slices.Contains(o.extra, u) {
		return
	}
	o.extra = append(o.extra, u)
}

// setDefault replaces the default index; PyPI's URL leaves it as it is
// (and so lets PIP_INDEX_URL or UV_INDEX_URL name a mirror).
func (o *indexOptions) setDefault(u string) {
	if u == "" || isPyPI(u) {
		return
	}
	o.indexURL = u
	o.extra = slices.DeleteFunc(o.extra, func(e string) bool { return e == u })
}

// lines are the requirement-file option lines of o.
func (o *indexOptions) lines() []string {
	var out []string
	if o.indexURL != "" {
		out = append(out, "--index-url "+o.indexURL)
	}
	for _, u := range o.extra {
		out = append(out, "--extra-index-url "+u)
	}
	for _, u := range o.findLinks {
		out = append(out, "--find-links "+u)
	}
	if o.noIndex {
		out = append(out, "--no-index")
	}
	return out
}

// localLocation makes a manifest's index or link location usable from
// any directory: a relative path is made absolute against dir, the
// manifest's folder; as an index (asURL) a path becomes a file:// URL.
func localLocation(loc, dir string, asURL bool) string {
	if loc == "" || strings.Contains(loc, "://") {
		return loc
	}
	p := loc
	if !filepath.IsAbs(p) {
		p = filepath.Join(dir, filepath.FromSlash(p))
	}
	if asURL {
		return fileURL(p)
	}
	return p
}

// fileURL is the file:// URL of an absolute path.
func fileURL(p string) string {
	return (&url.URL{Scheme: "file", Path: filepath.ToSlash(p)}).String()
}

// pep508RE splits a PEP 508 requirement into its name, extras and the
// rest (a version specifier or "@ URL", then "; marker").
var pep508RE = regexp.MustCompile(`^\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(\[[^\]]*\])?\s*(.*?)\s*$`)

// parsedRequirement is a requirement split for rewriting its source.
type parsedRequirement struct {
	name, extras, spec, marker string
	// direct is set for "name @ URL", which names its source itself.
	direct bool
}

func parseRequirement(s string) (parsedRequirement, bool) {
	m := pep508RE.FindStringSubmatch(s)
	if m == nil {
		return parsedRequirement{}, false
	}
	r := parsedRequirement{name: m[1], extras: m[2]}
	rest := m[3]
	if strings.HasPrefix(rest, "@") {
		r.direct = true
		return r, true
	}
	spec, marker, _ := strings.Cut(rest, ";")
	r.spec, r.marker = strings.TrimSpace(spec), strings.TrimSpace(marker)
	return r, true
}

// withSource formats r installed from loc (a URL; "" keeps the version
// specifier, for an index source), with extra, the source's marker,
// added to r's.
func (r parsedRequirement) withSource(loc, extra string) string {
	s := r.name + r.extras
	if loc != "" {
		s += " @ " + loc
	} else {
		s += r.spec
	}
	switch marker := r.marker; {
	case marker != "" && extra != "":
		s += " ; (" + marker + ") and (" + extra + ")"
	case marker != "" || extra != "":
		s += " ; " + marker + extra
	}
	return s
}

// vcsURL is the pip/uv form of a git source: git+URL@ref#subdirectory=sub.
func vcsURL(repo, ref, subdir string) string {
	if !strings.HasPrefix(repo, "git+") {
		repo = "git+" + repo
	}
	if ref != "" {
		repo += "@" + ref
	}
	return withSubdirectory(repo, subdir)
}

func withSubdirectory(u, subdir string) string {
	if subdir == "" {
		return u
	}
	return u + "#subdirectory=" + subdir
}

// tomlString returns the string value of key in a TOML table, "" when it
// is missing or not a string.
func tomlString(t map[string]any, key string) string {
	s, _ := t[key].(string)
	return s
}
