package python

import (
	"bufio"
	"bytes"
	"fmt"
	"hash"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

// maxLocalEntries bounds how many files of local requirement paths (a
// wheel folder, a package's source tree) a dependency key looks at.
const maxLocalEntries = 20000

// localRequirementPaths returns the local files and folders requirement
// lines point to — "./wheels/x.whl", "name @ file:///abs/lib",
// "-e ../lib", "--find-links ./dist" — resolved against dir. Their
// content is part of the install but not of the dependency files.
func localRequirementPaths(lines []string, dir string) []string {
	var out []string
	for _, line := range lines {
		line = strings.TrimSpace(line)
		if i := strings.Index(line, " #"); i >= 0 {
			line = strings.TrimSpace(line[:i])
		}
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		var ref string
		for _, opt := range []string{"--find-links", "--editable", "-f", "-e"} {
			if after, ok := strings.CutPrefix(line, opt); ok && (after == "" || strings.ContainsRune("= \t", rune(after[0])) || len(opt) == 2) {
				ref = strings.TrimLeft(after, "= \t")
				break
			}
		}
		if ref == "" {
			if _, after, ok := strings.Cut(line, " @ "); ok {
				ref = strings.TrimSpace(after)
			} else {
				ref = line
			}
		}
		// Markers and fragments are not part of the path.
		if i := strings.IndexAny(ref, "; \t"); i >= 0 {
			ref = ref[:i]
		}
		if i := strings.IndexByte(ref, '#'); i >= 0 {
			ref = ref[:i]
		}
		var p string
		switch {
		case strings.HasPrefix(ref, "file:"):
			u, err := url.Parse(ref)
			if err != nil {
				continue
			}
			p = u.Path
			if p == "" {
				p = u.Opaque
			}
		case strings.HasPrefix(ref, "./"), strings.HasPrefix(ref, "../"), strings.HasPrefix(ref, "/"):
			p = ref
		default:
			continue
		}
		if p == "" {
			continue
		}
		if !filepath.IsAbs(p) {
			p = filepath.Join(dir, filepath.FromSlash(p))
		}
		out = append(out, filepath.Clean(p))
	}
	return out
}

// hashLocalPaths writes what paths hold into h: a file's content, a
// folder's files by name, size and modification time (skipping .git and
// __pycache__). A missing path hashes as missing: pip reports it.
func hashLocalPaths(h hash.Hash, root string, paths []string) error {
	entries := 0
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			fmt.Fprintf(h, "local %s missing\n", relToRoot(root, p))
			continue
		}
		if !st.IsDir() {
			b, err := os.ReadFile(p)
			if err != nil {
				return fmt.Errorf("hashing %s: %w", p, err)
			}
			fmt.Fprintf(h, "local %s %d\n", relToRoot(root, p), len(b))
			h.Write(b)
			continue
		}
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && (d.Name() == ".git" || d.Name() == "__pycache__") {
				return filepath.SkipDir
			}
			if d.IsDir() {
				return nil
			}
			if entries++; entries > maxLocalEntries {
				return fmt.Errorf("more than %d files under local requirement paths", maxLocalEntries)
			}
			info, err := d.Info()
			if err != nil {
				return err
			}
			fmt.Fprintf(h, "local %s %d %d\n", relToRoot(root, path), info.Size(), info.ModTime().UnixNano())
			return nil
		})
		if err != nil {
			return fmt.Errorf("hashing %s: %w", p, err)
		}
	}
	return nil
}

// requirementTexts returns the logical lines of a requirements file
// without their numbers.
func requirementTexts(b []byte) []string {
	var out []string
	for _, l := range requirementLines(b) {
		out = append(out, l.text)
	}
	return out
}

// reqLine is one logical line of a requirements file: physical lines
// ending in a backslash joined to the next, as pip reads them, numbered by
// their first physical line.
type reqLine struct {
	text string
	n    int // 1-based
}

// requirementLines returns the logical lines of a requirements file. As in
// pip, a comment line never continues (its backslash is part of the
// comment), and a continuation at the end of the file ends the line.
func requirementLines(b []byte) []reqLine {
	var out []reqLine
	var cont []string
	first := 0
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimRight(sc.Text(), "\r")
		isComment := strings.HasPrefix(strings.TrimLeft(line, " \t"), "#")
		if strings.HasSuffix(line, "\\") && !isComment {
			if cont == nil {
				first = n
			}
			cont = append(cont, strings.TrimSuffix(line, "\\"))
			continue
		}
		if cont != nil {
			if isComment {
				line = " " + line // pip's way: the comment is then stripped
			}
			out = append(out, reqLine{strings.Join(append(cont, line), ""), first})
			cont = nil
			continue
		}
		out = append(out, reqLine{line, n})
	}
	if cont != nil {
		out = append(out, reqLine{strings.Join(cont, ""), first})
	}
	return out
}
