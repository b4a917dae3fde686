package golang

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/mod/modfile"
)

// layWork points the go command at a copy of the workspace's go.work, in
// dir under the cache, when the entry's module is part of one.
//
// In workspace mode go build and go list record the checksums of modules
// that no go.sum of the workspace has in go.work.sum beside go.work, even
// with -mod=readonly; the overlay does not cover writes. With GOWORK set
// to the copy, they are recorded in the copy's go.work.sum, and the
// user's tree is left alone. The copy's use paths are made absolute
// (relative ones are relative to the go.work file), its replace paths
// relative to the copy when it is inside the project (see below), and
// its go.work.sum starts with the user's entries, so a build verifies
// against what the user recorded.
//
// A workspace vendored with go work vendor is left as it is: its vendor
// folder is beside go.work, and a vendored build writes no checksums.
//
// It returns the user's go.work ("" when there is none), which is what
// the inputs and the cache key name.
func (p *plan) layWork(dir string) (string, error) {
	work := findWork(p.t.modDir, p.env)
	if work == "" {
		return "", nil
	}
	if fi, err := os.Stat(filepath.Join(filepath.Dir(work), "vendor", "modules.txt")); err == nil && fi.Mode().IsRegular() {
		return work, nil
	}
	data, err := os.ReadFile(work)
	if err != nil {
		// The go command says what is wrong with it.
		return work, nil
	}
	wf, err := modfile.ParseWork(work, data, nil)
	if err != nil {
		return work, nil
	}
	base := filepath.Dir(work)
	abs := func(p string) string {
		if filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(base, filepath.FromSlash(p))
	}
	for _, u := range wf.Use {
		if tok := u.Syntax.Token; len(tok) > 0 && !filepath.IsAbs(u.Path) {
			tok[len(tok)-1] = modfile.AutoQuote(abs(u.Path))
		}
	}
	// A replacement's path is recorded in the binary's build information
	// (-trimpath keeps it), so a Lambda bootstrap is the same in every
	// checkout only when the path is: relative to the copy, when the copy
	// is inside the project (the default cache), and so moves with it.
	inside := within(p.t.root, dir)
	for _, r := range wf.Replace {
		if r.New.Version != "" || !modfile.IsDirectoryPath(r.New.Path) || filepath.IsAbs(r.New.Path) {
			continue
		}
		tok := r.Syntax.Token
		if i := slices.Index(tok, "=>"); i >= 0 && i+1 < len(tok) {
			to := abs(r.New.Path)
			if rel, err := filepath.Rel(dir, to); err == nil && inside {
				to = filepath.ToSlash(rel)
				if !strings.HasPrefix(to, "../") {
					to = "./" + to
				}
			}
			tok[i+1] = modfile.AutoQuote(to)
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("copying %s: %w", work, err)
	}
	copied := filepath.Join(dir, "go.work")
	if err := writeIfChanged(copied, modfile.Format(wf.Syntax), 0o644); err != nil {
		return "", err
	}
	if err := mergeSums(copied+".sum", work+".sum"); err != nil {
		return "", err
	}
	p.env = mergeEnv(p.env, []string{"GOWORK=" + copied})
	return work, nil
}

// within reports whether path is root or below it.
func within(root, path string) bool {
	rel, err := filepath.Rel(root, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}

// mergeSums adds the lines of the user's go.work.sum (from) that the copy
// (to) lacks, keeping those the go command wrote into the copy.
func mergeSums(to, from string) error {
	user, err := os.ReadFile(from)
	if err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("reading %s: %w", from, err)
	}
	have, err := os.ReadFile(to)
	if err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("reading %s: %w", to, err)
	}
	seen := map[string]bool{}
	var out bytes.Buffer
	for _, data := range [][]byte{user, have} {
		for line := range bytes.Lines(data) {
			line = bytes.TrimSpace(line)
			if len(line) == 0 || seen[string(line)] {
				continue
			}
			seen[string(line)] = true
			out.Write(line)
			out.WriteByte('\n')
		}
	}
	if out.Len() == 0 && have == nil {
		return nil
	}
	return writeIfChanged(to, out.Bytes(), 0o644)
}
