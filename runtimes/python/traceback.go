package python

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/lambdalens/lambdalens/runtimes"
)

const tracebackHeader = "Traceback (most recent call last):"

// chainSeparators are the lines Python prints between chained tracebacks.
var chainSeparators = []string{
	"During handling of the above exception, another exception occurred:",
	"The above exception was the direct cause of the following exception:",
}

// frameRE matches a traceback frame line, and the location line Python
// prints for a SyntaxError (which has no ", in <func>").
var frameRE = regexp.MustCompile(`^\s*File "(.+)", line (\d+)(?:, in .*)?$`)

// caretRE matches the marker line under a frame's source line (3.11+ uses
// ~ and ^; SyntaxError uses ^).
var caretRE = regexp.MustCompile(`^(\s*)([~^]+)\s*$`)

// pyFrame is one "File ..., line N" entry of a traceback.
type pyFrame struct {
	path string
	line int
	// code and caret are the source line and marker line Python printed
	// below the frame, if any.
	code, caret string
}

// pyTraceback is the last traceback found in a process's stderr.
type pyTraceback struct {
	// text is the traceback, including the chained ones before it.
	text string
	// frames of the last traceback, outermost first.
	frames []pyFrame
	// message is the exception line ("NameError: name 'x' is not defined").
	message string
}

// parseTraceback finds the last Python traceback in stderr. ok is false
// when there is none.
func parseTraceback(stderr string) (tb pyTraceback, ok bool) {
	last := strings.LastIndex(stderr, tracebackHeader)
	if last < 0 {
		return tb, false
	}
	// Chained exceptions print several tracebacks joined by one of
	// chainSeparators; keep the whole chain in the text.
	first := last
	for {
		before := strings.TrimRight(stderr[:first], "\n ")
		chained := false
		for _, sep := range chainSeparators {
			if strings.HasSuffix(before, sep) {
				chained = true
			}
		}
		prev := strings.LastIndex(stderr[:first], tracebackHeader)
		if !chained || prev < 0 {
			break
		}
		first = prev
	}
	start := strings.LastIndexByte(stderr[:first], '\n') + 1
	lines := strings.Split(strings.TrimRight(stderr[last:], "\n"), "\n")
	var frames []pyFrame
	i := 1
	for i < len(lines) {
		m := frameRE.FindStringSubmatch(lines[i])
		if m == nil {
			if strings.HasPrefix(lines[i], " ") {
				i++ // source line of a frame we already took, or noise
				continue
			}
			break
		}
		n, _ := strconv.Atoi(m[2])
		f := pyFrame{path: m[1], line: n}
		i++
		if i < len(lines) && strings.HasPrefix(lines[i], "    ") && !frameRE.MatchString(lines[i]) {
			f.code = lines[i]
			i++
			if i < len(lines) && caretRE.MatchString(lines[i]) {
				f.caret = lines[i]
				i++
			}
		}
		frames = append(frames, f)
	}
	msg := ""
	end := len(lines)
	if i < len(lines) {
		msg = strings.TrimSpace(lines[i])
		// The exception line ends the traceback; notes and indented
		// continuation lines follow it, anything else is later output.
		end = i + 1
		for end < len(lines) && strings.HasPrefix(lines[end], " ") {
			end++
		}
	}
	text := stderr[start:last] + strings.Join(lines[:end], "\n")
	return pyTraceback{text: strings.TrimRight(text, "\n"), frames: frames, message: msg}, true
}

// projectFrame returns the innermost frame in a file of the project at
// root (outside virtual environments, site-packages and .vercel), and its
// path relative to root.
func (tb pyTraceback) projectFrame(root string) (pyFrame, string, bool) {
	roots := []string{filepath.Clean(root)}
	if real, err := filepath.EvalSymlinks(root); err == nil && real != roots[0] {
		roots = append(roots, real)
	}
	for i := len(tb.frames) - 1; i >= 0; i-- {
		f := tb.frames[i]
		if !filepath.IsAbs(f.path) {
			continue
		}
		for _, r := range roots {
			rel, err := filepath.Rel(r, filepath.Clean(f.path))
			if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
				continue
			}
			if !userFile(filepath.ToSlash(rel)) {
				continue
			}
			return f, filepath.ToSlash(rel), true
		}
	}
	return pyFrame{}, "", false
}

// userFile reports whether a root-relative path is the user's code rather
// than an installed package or lambdalens' own files.
func userFile(rel string) bool {
	if !strings.HasSuffix(rel, ".py") {
		return false
	}
	top, _, _ := strings.Cut(rel, "/")
	switch top {
	case ".venv", "venv", ".vercel", "node_modules", "__pypackages__":
		return false
	}
	for _, seg := range strings.Split(rel, "/") {
		if seg == "site-packages" || seg == "dist-packages" {
			return false
		}
	}
	return true
}

// lineBreak returns where the first line of b ends and where the next one
// starts, with Python's line ends: "\n", "\r\n" and a lone "\r"; -1, -1
// when b has none.
func lineBreak(b []byte) (end, next int) {
	i := bytes.IndexAny(b, "\r\n")
	switch {
	case i < 0:
		return -1, -1
	case b[i] == '\r' && i+1 < len(b) && b[i+1] == '\n':
		return i, i + 2
	}
	return i, i + 1
}

// frameRange computes the diagnostic range of a frame: the span the
// caret line marks when there is one, else the line without its
// indentation. The file is read to compute byte offsets; when it cannot
// be read only the line is known.
func frameRange(absPath string, f pyFrame) runtimes.Range {
	src, err := os.ReadFile(absPath)
	if err != nil || f.line < 1 {
		p := runtimes.Position{Line: f.line, Column: 1}
		return runtimes.Range{Start: p, End: p}
	}
	lineStart := 0
	for n := 1; n < f.line; n++ {
		_, next := lineBreak(src[lineStart:])
		if next < 0 {
			p := runtimes.Position{Line: f.line, Column: 1}
			return runtimes.Range{Start: p, End: p}
		}
		lineStart += next
	}
	lineEnd := len(src)
	if end, _ := lineBreak(src[lineStart:]); end >= 0 {
		lineEnd = lineStart + end
	}
	line := strings.TrimRight(string(src[lineStart:lineEnd]), "\r")
	indent := len(line) - len(strings.TrimLeft(line, " \t"))
	startCol, endCol := indent, len(line) // 0-based byte columns
	if m := caretRE.FindStringSubmatch(f.caret); m != nil && f.code != "" {
		// Python prints the source line stripped and indented by four
		// spaces, and the markers aligned under it.
		// The markers count characters; columns count bytes.
		codeIndent := len(f.code) - len(strings.TrimLeft(f.code, " "))
		s := indent + runesToBytes(f.code, len(m[1])) - codeIndent
		e := indent + runesToBytes(f.code, len(m[1])+len(m[2])) - codeIndent
		if s >= indent && s <= len(line) {
			startCol, endCol = s, min(e, len(line))
			if endCol <= startCol {
				endCol = min(startCol+1, len(line))
			}
		}
	}
	pos := func(col int) runtimes.Position {
		return runtimes.Position{Line: f.line, Column: col + 1, Offset: lineStart + col}
	}
	return runtimes.Range{Start: pos(startCol), End: pos(endCol)}
}

// tracebackError turns a traceback in a process's stderr into a
// *runtimes.BuildError with one diagnostic at the innermost frame of the
// user's project. fallbackFile (root-relative) gets the diagnostic when no
// frame is in the project. ok is false when stderr has no traceback.
func tracebackError(op, code, root, fallbackFile, stderr string, cause error) (*runtimes.BuildError, bool) {
	tb, ok := parseTraceback(stderr)
	if !ok {
		return nil, false
	}
	msg := tb.message
	if msg == "" {
		msg = "the Python process failed"
	}
	d := runtimes.Diagnostic{File: fallbackFile, Severity: runtimes.SeverityError, Code: code, Message: msg}
	if f, rel, ok := tb.projectFrame(root); ok {
		d.File = rel
		d.Range = frameRange(filepath.Join(root, filepath.FromSlash(rel)), f)
	}
	return &runtimes.BuildError{Op: op, Output: tb.text, Diagnostics: []runtimes.Diagnostic{d}, Err: cause}, true
}

// runesToBytes returns the byte length of the first n characters of s;
// characters past its end count one byte each.
func runesToBytes(s string, n int) int {
	i := 0
	for k := range n {
		if i >= len(s) {
			return i + n - k
		}
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
	}
	return i
}
