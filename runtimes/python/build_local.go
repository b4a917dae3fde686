package python

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/BurntSushi/toml"
)

// Local source trees in the dependencies ("./lib", "-e ../shared",
// "mylib @ file:///abs/lib", uv.lock path and workspace members) are built
// by the installer, for the machine building: a pure-Python package is
// then right for Lambda, one with C extensions is built for this machine
// and not the target (a limit shared by pip and uv, neither of which
// cross-compiles). They are installed as regular packages, never editable
// (Vercel: uv sync --no-editable): an editable install is a .pth file
// pointing at this machine's path, which Lambda does not have.

// editableReqFiles returns the requirements file to give the installer
// for reqFile: reqFile itself when neither it nor a file it includes with
// -r/-c has an editable line, else a copy in scratch, as are the files it
// includes, with "-e X" and "--editable X" rewritten to "X". files are the
// copies to write, by path. The user's files are never written to.
// Relative paths in the copies still resolve as before: pip and uv resolve
// requirement paths against the directory they run in (the declaration's,
// see planInstall), and the -r/-c lines of the copies name the copies by
// absolute path.
func editableReqFiles(reqFile, scratch string) (top string, files map[string][]byte, err error) {
	chain, err := requirementIncludes(reqFile)
	if err != nil {
		return "", nil, err
	}
	chain = append([]string{reqFile}, chain...)
	contents := map[string][]byte{}
	editable := false
	for _, f := range chain {
		b, err := os.ReadFile(f)
		if err != nil {
			return "", nil, fmt.Errorf("reading %s: %w", f, err)
		}
		contents[f] = b
		for _, l := range requirementLines(b) {
			if _, ok := editableTarget(l.text); ok {
				editable = true
			}
		}
	}
	if !editable {
		return reqFile, nil, nil
	}
	copyOf := func(f string) string {
		return filepath.Join(scratch, fmt.Sprintf("requirements-%d.txt", slices.Index(chain, f)))
	}
	files = map[string][]byte{}
	for _, f := range chain {
		var out strings.Builder
		for _, l := range requirementLines(contents[f]) {
			line := l.text
			if target, ok := editableTarget(line); ok {
				line = target
			} else if inc := requirementIncludeLines([]byte(line + "\n")); len(inc) == 1 {
				p := inc[0].name
				if !filepath.IsAbs(p) {
					p = filepath.Join(filepath.Dir(f), filepath.FromSlash(p))
				}
				if slices.Contains(chain, p) {
					line = inc[0].opt + " " + copyOf(p)
				}
			}
			out.WriteString(line + "\n")
		}
		files[copyOf(f)] = []byte(out.String())
	}
	return copyOf(reqFile), files, nil
}

// editableTarget returns what an editable requirement line ("-e ./lib",
// "--editable=../x[extra]  # comment") installs, written as a
// non-editable requirement line, and whether the line is one.
func editableTarget(line string) (string, bool) {
	line = strings.TrimSpace(line)
	if i := strings.Index(line, " #"); i >= 0 {
		line = strings.TrimSpace(line[:i])
	}
	var rest string
	switch {
	case strings.HasPrefix(line, "--editable"):
		rest = strings.TrimPrefix(line, "--editable")
		if rest == "" || !strings.ContainsRune("= \t", rune(rest[0])) {
			return "", false
		}
	case strings.HasPrefix(line, "-e"):
		rest = strings.TrimPrefix(line, "-e")
	default:
		return "", false
	}
	rest = strings.TrimLeft(rest, "= \t")
	if rest == "" {
		return "", false
	}
	// A bare "." or ".." is not read as a path outside -e.
	if rest == "." || rest == ".." || strings.HasPrefix(rest, ".[") || strings.HasPrefix(rest, "..[") {
		dots, extras, _ := strings.Cut(rest, "[")
		rest = dots + "/"
		if extras != "" {
			rest += "[" + extras
		}
	}
	return rest, true
}

// localProjectNames returns the names of the local source trees that the
// requirement lines (relative paths resolved against dir) install: from
// "name @ file:..." or the tree's pyproject.toml [project] name,
// setup.cfg [metadata] name or setup.py name= argument. A tree whose name
// cannot be read is an error naming it.
func localProjectNames(lines []string, dir string) ([]string, error) {
	var names []string
	for _, line := range lines {
		if t, ok := editableTarget(line); ok {
			line = t
		}
		paths := localRequirementPaths([]string{line}, dir)
		if len(paths) != 1 {
			continue
		}
		if st, err := os.Stat(paths[0]); err != nil || !st.IsDir() {
			continue // a wheel, a sdist archive or a --find-links folder
		}
		if strings.HasPrefix(strings.TrimSpace(line), "-") && !strings.HasPrefix(strings.TrimSpace(line), "-e") {
			continue // --find-links ./dist
		}
		name, _, explicit := strings.Cut(line, " @ ")
		name = strings.TrimSpace(name)
		if i := strings.IndexAny(name, "[;<>=!~ "); i >= 0 {
			name = name[:i]
		}
		if !explicit || name == "" {
			name = projectName(paths[0])
		}
		if name == "" {
			return nil, fmt.Errorf("the local package %s has no name in its pyproject.toml ([project] name), setup.cfg or setup.py: the installer needs it to allow building it", relToRoot(dir, paths[0]))
		}
		if !slices.Contains(names, normalizeName(name)) {
			names = append(names, normalizeName(name))
		}
	}
	return names, nil
}

var (
	setupCfgNameRe = regexp.MustCompile(`(?m)^\s*name\s*=\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*$`)
	setupPyNameRe  = regexp.MustCompile(`\bname\s*=\s*["']([A-Za-z0-9][A-Za-z0-9._-]*)["']`)
)

// projectName reads the distribution name of the source tree dir, or "".
func projectName(dir string) string {
	if b, err := os.ReadFile(filepath.Join(dir, "pyproject.toml")); err == nil {
		var doc struct {
			Project struct {
				Name string `toml:"name"`
			} `toml:"project"`
		}
		if _, err := toml.Decode(string(b), &doc); err == nil && doc.Project.Name != "" {
			return doc.Project.Name
		}
	}
	if b, err := os.ReadFile(filepath.Join(dir, "setup.cfg")); err == nil {
		if _, after, ok := strings.Cut(string(b), "[metadata]"); ok {
			section, _, _ := strings.Cut(after, "\n[")
			if m := setupCfgNameRe.FindStringSubmatch(section); m != nil {
				return m[1]
			}
		}
	}
	if b, err := os.ReadFile(filepath.Join(dir, "setup.py")); err == nil {
		if m := setupPyNameRe.FindStringSubmatch(string(b)); m != nil {
			return m[1]
		}
	}
	return ""
}

// uvLockLocalNames returns the normalized names of uv.lock's packages that
// are built from a local source tree (directory, editable and workspace
// members, a local sdist): the ones uv export writes as paths.
func uvLockLocalNames(b []byte) ([]string, error) {
	lock, err := parseUVLock(b)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, p := range lock.Package {
		local := false
		for _, k := range []string{"directory", "editable"} {
			if _, ok := p.Source[k]; ok {
				local = true
			}
		}
		if path, ok := p.Source["path"].(string); ok && !strings.HasSuffix(path, ".whl") {
			local = true
		}
		if local && p.Name != "" && !slices.Contains(names, normalizeName(p.Name)) {
			names = append(names, normalizeName(p.Name))
		}
	}
	slices.Sort(names)
	return names, nil
}
