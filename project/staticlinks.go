package project

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/lambdalens/lambdalens/runtimes"
)

// CodeStaticLinkToFolder marks a symbolic link to a folder among the
// static files: the dev server does not serve what is behind it and the
// build leaves it out of static/.
const CodeStaticLinkToFolder = "static-link-to-folder"

// checkStaticLinks warns about the symbolic links among the static files
// that lead to a folder (a venv's lib64 -> lib, say). The walk does not
// enter them, the dev server does not serve them and the build does not
// copy them, so said here, inspect, the editor and dev tell what the build
// leaves out. Broken links (an editor's lock file, .#x.go) are left out
// everywhere without a word: they hold nothing.
func (l *loader) checkStaticLinks(p *Project) {
	for _, rel := range l.symlinks {
		if !p.staticFile(rel) {
			continue
		}
		st, err := os.Stat(filepath.Join(l.root, filepath.FromSlash(rel)))
		if err != nil || !st.IsDir() {
			continue
		}
		l.diags = append(l.diags, runtimes.Diagnostic{
			File: rel, Severity: runtimes.SeverityWarning, Code: CodeStaticLinkToFolder,
			Message: fmt.Sprintf("%s is a symbolic link to a folder: its files are not static files (lambdalens dev does not serve them and the build leaves them out); put the folder itself here, or add %s (or a folder holding it) to .vercelignore", rel, rel),
		})
	}
}

// staticFile reports whether rel, a project file the ignore rules keep, is
// a static file: in PublicDir and not excluded, nor in an excluded folder.
func (p *Project) staticFile(rel string) bool {
	switch p.PublicDir {
	case "":
		return false
	case ".":
	default:
		if !strings.HasPrefix(rel, p.PublicDir+"/") {
			return false
		}
	}
	for dir := path.Dir(rel); dir != "."; dir = path.Dir(dir) {
		if p.StaticExcluded(dir, true) {
			return false
		}
	}
	return !p.StaticExcluded(rel, false)
}
