package buildsys

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"unicode/utf16"

	"github.com/lambdalens/lambdalens/project"
	"github.com/lambdalens/lambdalens/project/config"
	"github.com/lambdalens/lambdalens/project/routing"
	"github.com/lambdalens/lambdalens/runtimes"
	"github.com/lambdalens/lambdalens/runtimes/fileutil"
)

// Names inside the output directory.
const (
	configFile   = "config.json"
	vcConfigFile = ".vc-config.json"
	functionsDir = "functions"
	staticDir    = "static"
)

// vcConfig is .vc-config.json: the serialized Lambda of reference §7, in
// the order of Vercel's Lambda fields.
type vcConfig struct {
	Handler                   string            `json:"handler"`
	Runtime                   string            `json:"runtime"`
	RuntimeLanguage           string            `json:"runtimeLanguage,omitempty"`
	Architecture              string            `json:"architecture"`
	Memory                    int               `json:"memory,omitempty"`
	MaxDuration               any               `json:"maxDuration,omitempty"`
	Affinity                  *config.Affinity  `json:"affinity,omitempty"`
	MaxConcurrency            int               `json:"maxConcurrency,omitempty"`
	Environment               map[string]string `json:"environment"`
	Regions                   []string          `json:"regions,omitempty"`
	FunctionFailoverRegions   []string          `json:"functionFailoverRegions,omitempty"`
	SupportsWrapper           bool              `json:"supportsWrapper,omitempty"`
	SupportsResponseStreaming bool              `json:"supportsResponseStreaming,omitempty"`
	ExperimentalTriggers      []config.Trigger  `json:"experimentalTriggers,omitempty"`
	SupportsCancellation      bool              `json:"supportsCancellation,omitempty"`
}

// newVCConfig merges a runtime's artifact with the function's vercel.json
// "functions" rule; the rule wins (reference §7 "Precedence"), and arch is
// the already resolved architecture. Like Vercel's writer it writes only
// what the rule sets: no runtime sets memory or maxDuration (reference §12
// H.65), so a function without them gets the platform's defaults, not
// project.DefaultMemory and project.DefaultMaxDuration, which are the dev
// server's.
func newVCConfig(p *project.Project, fn *project.Function, art *runtimes.Artifact, arch string) (*vcConfig, error) {
	if art.Handler == "" || art.Runtime == "" {
		return nil, fmt.Errorf("the %s runtime reported no handler or runtime for %s", fn.Language(), fn.File)
	}
	c := &vcConfig{
		Handler:                   path.Clean(filepath.ToSlash(art.Handler)),
		Runtime:                   art.Runtime,
		RuntimeLanguage:           art.RuntimeLanguage,
		Architecture:              arch,
		Environment:               map[string]string{},
		SupportsWrapper:           art.SupportsWrapper,
		SupportsResponseStreaming: art.SupportsResponseStreaming,
	}
	for k, v := range art.Environment {
		c.Environment[k] = v
	}
	r := p.FunctionRule(fn)
	if r == nil {
		return c, nil
	}
	c.Memory = r.Memory
	switch {
	case r.MaxDurationMax:
		c.MaxDuration = "max"
	case r.MaxDuration > 0:
		c.MaxDuration = r.MaxDuration
	}
	c.Affinity = r.Affinity
	c.MaxConcurrency = r.MaxConcurrency
	c.Regions = r.Regions
	c.FunctionFailoverRegions = r.FunctionFailoverRegions
	c.SupportsCancellation = r.SupportsCancellation
	for _, t := range r.ExperimentalTriggers {
		if t.Type == "queue/v2beta" {
			// Vercel's getLambdaOptionsFromFunction: the consumer of a
			// v2beta queue is named after the "functions" pattern.
			t.Consumer = consumerName(r.Pattern)
		}
		c.ExperimentalTriggers = append(c.ExperimentalTriggers, t)
	}
	return c, nil
}

// consumerName is Vercel's sanitizeConsumerName: the name made of
// letters, digits and "-", with "_" escaping everything else ("_S" for
// "/", "_D" for ".", "__" for "_", "_" and the UTF-16 code unit in hex
// otherwise).
func consumerName(pattern string) string {
	var b strings.Builder
	for _, r := range pattern {
		switch {
		case r == '_':
			b.WriteString("__")
		case r == '/':
			b.WriteString("_S")
		case r == '.':
			b.WriteString("_D")
		case r == '-', r >= 'A' && r <= 'Z', r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			if r > 0xFFFF {
				// JavaScript's charCodeAt(0): the high surrogate.
				r, _ = utf16.EncodeRune(r)
			}
			fmt.Fprintf(&b, "_%02X", r)
		}
	}
	return b.String()
}

// checkEntrypoint verifies that the file Lambda starts exists: bootstrap for
// the provided.* runtimes, the handler for Vercel's "executable" runtime.
func checkEntrypoint(dir string, c *vcConfig) error {
	var name string
	switch {
	case strings.HasPrefix(c.Runtime, "provided"):
		name = "bootstrap"
	case c.Runtime == "executable":
		name = c.Handler
	default:
		return nil
	}
	st, err := os.Stat(filepath.Join(dir, filepath.FromSlash(name)))
	if err != nil {
		return fmt.Errorf("checking the %s entrypoint: %w", c.Runtime, err)
	}
	if !st.Mode().IsRegular() || st.Mode().Perm()&0o100 == 0 {
		return fmt.Errorf("checking the %s entrypoint: %s is not an executable file", c.Runtime, name)
	}
	return nil
}

// writeJSON writes v indented by two spaces, without HTML escaping, with a
// final newline (as Vercel's writers do).
func writeJSON(file string, v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("encoding %s: %w", file, err)
	}
	// Remove first: file may be a hardlink into the build cache, which
	// writing in place would change.
	if err := os.Remove(file); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("replacing %s: %w", file, err)
	}
	if err := os.WriteFile(file, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", file, err)
	}
	return nil
}

// outputConfig is config.json.
type outputConfig struct {
	Version   int                       `json:"version"`
	Routes    []routing.Route           `json:"routes"`
	Overrides map[string]staticOverride `json:"overrides,omitempty"`
}

// staticOverride is one value of config.json "overrides", keyed by the
// file's path under static/: the URL path it is served at. (The Build
// Output API also has "contentType", which files copied from public/ never
// need: see copyStatic.)
type staticOverride struct {
	Path string `json:"path"`
}

func writeConfig(outDir string, routes []routing.Route, overrides map[string]staticOverride) error {
	if routes == nil {
		routes = []routing.Route{}
	}
	return writeJSON(filepath.Join(outDir, configFile), outputConfig{Version: 3, Routes: routes, Overrides: overrides})
}

// copyStatic copies the public directory into static/, leaving out what
// Vercel never uploads: its default ignore list and the project's
// .vercelignore (or .nowignore), both relative to the project root, the
// rules project.Load and the dev server apply. Links to files are followed
// (the output must not point back into the tree); broken links and links
// to folders are left out, as the dev server leaves them out.
//
// It returns the overrides of the files it copied (nil when there are
// none), as Vercel's writeStaticFile makes them: with cleanUrls, each
// "x.html" is served at "x". The other reasons Vercel has for an override
// do not arise here: a file copied from disk keeps its name, so its path
// and extension agree, and it has no Content-Type of its own (the
// platform derives one from the extension, as the dev server does).
func copyStatic(p *project.Project, outDir string, own ownFolders) (map[string]staticOverride, error) {
	if p.PublicDir == "" {
		return nil, nil
	}
	rel := path.Clean(filepath.ToSlash(p.PublicDir))
	if rel == ".." || strings.HasPrefix(rel, "../") || path.IsAbs(rel) {
		return nil, fmt.Errorf("copying static files: public directory %q is outside the project", p.PublicDir)
	}
	ignore, err := fileutil.ReadIgnoreFile(func(name string) ([]byte, error) {
		return os.ReadFile(filepath.Join(p.Root, name))
	})
	if err != nil {
		return nil, fmt.Errorf("copying static files: %w", err)
	}
	rules := fileutil.NewRules(fileutil.VercelDefaults, ignore)
	skip := func(r string, isDir bool) bool {
		r = path.Join(rel, r)
		// holds stats the entry: a link to the cache is one of them too.
		return rules.Ignored(r, isDir) || p.StaticExcluded(r, isDir) || own.holds(filepath.Join(p.Root, filepath.FromSlash(r)))
	}
	o := copyOptions{follow: true, skip: skip}
	var overrides map[string]staticOverride
	if p.Config != nil && p.Config.CleanURLs {
		o.check = func(r string, info fs.FileInfo) error {
			if name, ok := strings.CutSuffix(r, ".html"); ok && !info.IsDir() {
				if overrides == nil {
					overrides = map[string]staticOverride{}
				}
				overrides[r] = staticOverride{Path: name}
			}
			return nil
		}
	}
	src := filepath.Join(p.Root, filepath.FromSlash(rel))
	if real, err := filepath.EvalSymlinks(src); err == nil {
		src = real // a project (or public folder) given through a link
	}
	if err := copyTree(src, filepath.Join(outDir, staticDir), o); err != nil {
		return nil, fmt.Errorf("copying static files from %s: %w", rel, err)
	}
	return overrides, nil
}

// ownFolders are the build's own folders, found by identity rather than
// by name (a project or an output given through a symbolic link): dirs,
// and the folders in parent whose name starts with prefix (the output's
// temporary siblings).
type ownFolders struct {
	dirs   []os.FileInfo
	parent os.FileInfo
	prefix string
}

// newOwnFolders stats the folders; those that do not exist yet are left
// out.
func newOwnFolders(parent, prefix string, dirs ...string) ownFolders {
	o := ownFolders{prefix: prefix}
	o.parent, _ = os.Stat(parent)
	for _, d := range dirs {
		if fi, err := os.Stat(d); err == nil {
			o.dirs = append(o.dirs, fi)
		}
	}
	return o
}

// holds reports whether the folder at p is one of them.
func (o ownFolders) holds(p string) bool {
	fi, err := os.Stat(p)
	if err != nil || !fi.IsDir() {
		return false
	}
	for _, d := range o.dirs {
		if os.SameFile(fi, d) {
			return true
		}
	}
	if o.parent == nil || !strings.HasPrefix(filepath.Base(p), o.prefix) {
		return false
	}
	up, err := os.Stat(filepath.Dir(p))
	return err == nil && os.SameFile(up, o.parent)
}

// buildOutputEntries are the names a Build Output directory holds: what
// this build writes (config.json, functions/, static/) and what vercel
// build may add beside them (builds.json, diagnostics/, flags.json). The
// value says whether the entry is a folder.
var buildOutputEntries = map[string]bool{
	configFile:    false,
	functionsDir:  true,
	staticDir:     true,
	"builds.json": false,
	"diagnostics": true,
	"flags.json":  false,
}

// checkReplaceable refuses to replace out unless it is missing, an empty
// directory or a previous Build Output (notBuildOutput), and refuses an out
// that contains the project root. Inside the project, outside .vercel/, an
// existing out must be a Build Output even when empty: it is one of the
// user's folders (public/, say), which a build must not take over.
func checkReplaceable(root, out string) error {
	if r, err := filepath.Rel(out, root); err == nil && (r == "." || !strings.HasPrefix(r, "..")) {
		return fmt.Errorf("output directory %s contains the project %s; choose another --out", out, root)
	}
	st, err := os.Lstat(out)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("checking output directory: %w", err)
	}
	if !st.IsDir() {
		return fmt.Errorf("output %s exists and is not a directory; choose another --out or remove it", out)
	}
	ents, err := os.ReadDir(out)
	if err != nil {
		return fmt.Errorf("checking output directory: %w", err)
	}
	why := notBuildOutput(out, ents)
	if why == "" {
		return nil
	}
	if rel, ok := projectFolder(root, out); ok {
		return fmt.Errorf("refusing to replace %s: it is a folder of the project and not a Build Output directory (%s); choose another --out (the default is .vercel/output) or remove it", rel, why)
	}
	if len(ents) == 0 {
		return nil
	}
	return fmt.Errorf("refusing to replace %s: it is not empty and not a Build Output directory (%s); choose another --out or remove it", out, why)
}

// notBuildOutput says why the folder dir, whose entries are ents, is not a
// Build Output, or "" when it is one: its config.json is a JSON object
// with "version": 3 and it holds nothing a Build Output does not.
func notBuildOutput(dir string, ents []os.DirEntry) string {
	if len(ents) == 0 {
		return "it is empty"
	}
	for _, e := range ents {
		isDir, ok := buildOutputEntries[e.Name()]
		if !ok || e.IsDir() != isDir || !(e.IsDir() || e.Type().IsRegular()) {
			return fmt.Sprintf("it holds %s, which a Build Output does not", e.Name())
		}
	}
	data, err := os.ReadFile(filepath.Join(dir, configFile))
	if errors.Is(err, fs.ErrNotExist) {
		return "it has no " + configFile
	}
	if err != nil {
		return fmt.Sprintf("reading its %s: %v", configFile, err)
	}
	var cfg struct {
		Version any `json:"version"`
	}
	if err := json.Unmarshal(data, &cfg); err != nil || cfg.Version != float64(3) {
		return fmt.Sprintf(`its %s is not a Build Output config with "version": 3`, configFile)
	}
	return ""
}

// projectFolder reports whether out lies inside the project root outside
// .vercel/, and its path relative to the root. Both are compared where
// symbolic links lead.
func projectFolder(root, out string) (string, bool) {
	if r, err := filepath.EvalSymlinks(root); err == nil {
		root = r
	}
	if r, err := filepath.EvalSymlinks(out); err == nil {
		out = r
	}
	rel, err := filepath.Rel(root, out)
	if err != nil || rel == "." || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", false
	}
	first, _, _ := strings.Cut(filepath.ToSlash(rel), "/")
	return rel, first != ".vercel"
}

// replaceDir moves the finished staging directory to out, replacing what
// was there. On Linux the two directories are exchanged in one step; where
// that is not available the old output is renamed aside first, and put back
// if the second rename fails. exch is exchange, or a stand-in in tests.
func replaceDir(staging, out string, exch func(a, b string) error) error {
	if _, err := os.Lstat(out); errors.Is(err, fs.ErrNotExist) {
		if err := os.Rename(staging, out); err != nil {
			return fmt.Errorf("moving the build into %s: %w", out, err)
		}
		return nil
	}
	err := exch(staging, out)
	if err == nil {
		// staging now holds the previous output.
		if err := os.RemoveAll(staging); err != nil {
			return fmt.Errorf("removing the previous output: %w", err)
		}
		return nil
	}
	if !errors.Is(err, errors.ErrUnsupported) {
		return fmt.Errorf("moving the build into %s: %w", out, err)
	}
	old := staging + ".old"
	if err := os.Rename(out, old); err != nil {
		return fmt.Errorf("moving the previous output aside: %w", err)
	}
	if err := os.Rename(staging, out); err != nil {
		if rerr := os.Rename(old, out); rerr != nil {
			return fmt.Errorf("moving the build into %s: %w (and restoring the previous output from %s: %v)", out, err, old, rerr)
		}
		return fmt.Errorf("moving the build into %s: %w", out, err)
	}
	if err := os.RemoveAll(old); err != nil {
		return fmt.Errorf("removing the previous output: %w", err)
	}
	return nil
}

// validID reports whether a function ID is a clean relative slash path that
// stays inside functions/.
func validID(id string) bool {
	return id != "" && path.Clean(id) == id && !path.IsAbs(id) && id != ".." &&
		!strings.HasPrefix(id, "../") && !strings.Contains(id, "\\") && id != "."
}
