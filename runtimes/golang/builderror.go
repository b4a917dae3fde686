package golang

import (
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/lambdalens/lambdalens/runtimes"
)

// outputMapper rewrites go command output so that positions name the
// user's files (project-relative) at the user's lines and columns, even
// when the compiler saw an overlaid copy.
type outputMapper struct {
	root string // project root
	cwd  string // directory the go command ran in
	ov   *overlay
	// file is the entry (project-relative) and genImport the import path
	// of its generated main, named "generated main of <file>" in output.
	file, genImport string
}

// positionLine matches "path:line:col: message" and "path:line: message"
// for the file kinds the go command reports positions in. The path may
// start with a Windows drive letter.
var positionLine = regexp.MustCompile(`^((?:[A-Za-z]:)?[^:\t]+?\.(?:go|mod|work|s|sum)):(\d+)(?::(\d+))?: (.*)$`)

// mapOutput returns the rewritten output and the diagnostics in it.
// Continuation lines (indented with a tab, as in "have/want" notes) are
// appended to the message of the diagnostic above them.
func (m *outputMapper) mapOutput(out string) (string, []runtimes.Diagnostic) {
	var b strings.Builder
	var diags []runtimes.Diagnostic
	lines := strings.SplitAfter(out, "\n")
	for _, raw := range lines {
		line := strings.TrimRight(raw, "\r\n")
		nl := raw[len(line):]
		if line == "" {
			b.WriteString(raw)
			continue
		}
		if strings.HasPrefix(line, "\t") && len(diags) > 0 {
			diags[len(diags)-1].Message += "\n" + strings.TrimSpace(line)
			b.WriteString(m.renameBack(line) + nl)
			continue
		}
		if m.genImport != "" && strings.HasPrefix(line, "# "+m.genImport) {
			b.WriteString("# generated main of " + m.file + nl)
			continue
		}
		sm := positionLine.FindStringSubmatch(line)
		if sm == nil {
			b.WriteString(m.renameBack(line) + nl)
			continue
		}
		file, org := m.resolve(sm[1])
		ln, _ := strconv.Atoi(sm[2])
		col, _ := strconv.Atoi(sm[3])
		msg := m.renameBack(sm[4])
		if org.at != nil {
			ln, col = org.at.Line, org.at.Column
			msg = "in the generated main: " + msg
		}
		for _, r := range org.renamed {
			if ln == r.line && col >= r.col+r.shift {
				col -= r.shift
			} else if ln == r.line && col > r.col {
				col = r.col
			}
		}
		if col > 0 {
			b.WriteString(file + ":" + strconv.Itoa(ln) + ":" + strconv.Itoa(col) + ": " + msg + nl)
		} else {
			b.WriteString(file + ":" + strconv.Itoa(ln) + ": " + msg + nl)
		}
		pos := runtimes.Position{Line: ln, Column: max(col, 1)}
		diags = append(diags, runtimes.Diagnostic{
			File:     file,
			Range:    runtimes.Range{Start: pos, End: pos},
			Severity: runtimes.SeverityError,
			Code:     "go-build",
			Message:  msg,
		})
	}
	return b.String(), diags
}

// resolve maps a path printed by the go command to a project-relative
// path. The go command shortens paths by textual prefix replacement of the
// directories it knows, which can mangle the path of an overlaid file; the
// unique base names given by overlay.add still identify those.
func (m *outputMapper) resolve(printed string) (string, origin) {
	abs := filepath.FromSlash(printed)
	if !filepath.IsAbs(abs) {
		abs = filepath.Join(m.cwd, abs)
	}
	abs = filepath.Clean(abs)
	if m.ov != nil {
		if org, ok := m.ov.origins[abs]; ok {
			return org.file, org
		}
		slashed := filepath.ToSlash(printed)
		for actual, org := range m.ov.origins {
			if !strings.HasPrefix(actual, m.ov.scratch) {
				continue
			}
			// The base starts with a 10-digit hash: a suffix match is
			// unambiguous.
			if strings.HasSuffix(slashed, filepath.Base(actual)) {
				return org.file, org
			}
		}
	}
	return relSlash(m.root, abs), origin{}
}

// renameBack replaces generated identifiers in a message by the user's.
func (m *outputMapper) renameBack(s string) string {
	if m.ov == nil {
		return s
	}
	for renamed, old := range m.ov.renames {
		s = strings.ReplaceAll(s, renamed, old)
	}
	return s
}
