package benchkit

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/mod/modfile"
)

// skipDirs are never copied with a project: build output, caches and
// environments that belong to the original checkout.
var skipDirs = map[string]bool{".vercel": true, "node_modules": true, ".venv": true, "venv": true, "__pycache__": true, ".git": true}

// CopyTree copies the project at src into dst (created), leaving out
// skipDirs. Symbolic links are copied as links. Benchmarks always work on
// such copies, never on the repository's examples.
func CopyTree(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		switch {
		case d.IsDir():
			if rel != "." && skipDirs[d.Name()] {
				return filepath.SkipDir
			}
			return os.MkdirAll(target, 0o755)
		case d.Type()&fs.ModeSymlink != 0:
			link, err := os.Readlink(path)
			if err != nil {
				return err
			}
			return os.Symlink(link, target)
		case !d.Type().IsRegular():
			return nil
		}
		return copyFile(path, target)
	})
}

func copyFile(src, dst string) (err error) {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	st, err := in.Stat()
	if err != nil {
		return err
	}
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, st.Mode().Perm())
	if err != nil {
		return err
	}
	defer func() {
		if cerr := out.Close(); err == nil {
			err = cerr
		}
	}()
	_, err = io.Copy(out, in)
	return err
}

// ModulePath returns the module path declared by dir/go.mod.
func ModulePath(dir string) (string, error) {
	data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil {
		return "", fmt.Errorf("reading the module path: %w", err)
	}
	path := modfile.ModulePath(data)
	if path == "" {
		return "", fmt.Errorf("reading the module path: %s has no module line", filepath.Join(dir, "go.mod"))
	}
	return path, nil
}

// Editor edits one source file the way a person changing a response string
// does: it replaces the first occurrence of Marker in the original content
// with Marker followed by a version tag, so that every version differs and
// the tag shows up in the served response.
type Editor struct {
	path   string
	orig   []byte
	marker string
	// rename writes a sibling temporary file and renames it over the
	// original (as some editors save); otherwise the file is rewritten in
	// place (as VS Code saves).
	rename bool
}

// NewEditor reads path and checks that it contains marker.
func NewEditor(path, marker string, rename bool) (*Editor, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("preparing edits of %s: %w", path, err)
	}
	if !bytes.Contains(data, []byte(marker)) {
		return nil, fmt.Errorf("preparing edits of %s: the file does not contain %q", path, marker)
	}
	return &Editor{path: path, orig: data, marker: marker, rename: rename}, nil
}

// Tag returns the version tag for kind (one letter) and number n, fixed
// width so that no tag is a prefix of another: Tag("s", 3) = "_bench_s003".
func Tag(kind string, n int) string { return fmt.Sprintf("_bench_%s%03d", kind, n) }

// Write saves the version of the file carrying tag.
func (e *Editor) Write(tag string) error {
	data := bytes.Replace(e.orig, []byte(e.marker), []byte(e.marker+tag), 1)
	if !e.rename {
		if err := os.WriteFile(e.path, data, 0o644); err != nil {
			return fmt.Errorf("editing %s: %w", e.path, err)
		}
		return nil
	}
	tmp := filepath.Join(filepath.Dir(e.path), "."+filepath.Base(e.path)+".bench-tmp")
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return fmt.Errorf("editing %s: %w", e.path, err)
	}
	if err := os.Rename(tmp, e.path); err != nil {
		return fmt.Errorf("editing %s: %w", e.path, err)
	}
	return nil
}

// Restore writes the original content back.
func (e *Editor) Restore() error {
	if err := os.WriteFile(e.path, e.orig, 0o644); err != nil {
		return fmt.Errorf("restoring %s: %w", e.path, err)
	}
	return nil
}

// AddGoToolchain appends a toolchain line naming goVersion ("go1.26.8") to
// dir/go.mod unless it has one. `vercel dev` wants the newest Go it knows
// unless go.mod names a toolchain.
func AddGoToolchain(dir, goVersion string) error {
	name := filepath.Join(dir, "go.mod")
	data, err := os.ReadFile(name)
	if err != nil {
		return fmt.Errorf("adding a toolchain line: %w", err)
	}
	f, err := modfile.Parse(name, data, nil)
	if err != nil {
		return fmt.Errorf("adding a toolchain line: %w", err)
	}
	if f.Toolchain != nil {
		return nil
	}
	if err := f.AddToolchainStmt(goVersion); err != nil {
		return fmt.Errorf("adding a toolchain line to %s: %w", name, err)
	}
	out, err := f.Format()
	if err != nil {
		return fmt.Errorf("adding a toolchain line to %s: %w", name, err)
	}
	return os.WriteFile(name, out, 0o644)
}

// DirSize returns the total size of the regular files under dir and their
// count.
func DirSize(dir string) (int64, int, error) {
	var total int64
	var n int
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			info, err := d.Info()
			if err != nil {
				return err
			}
			total += info.Size()
			n++
		}
		return nil
	})
	return total, n, err
}

// MB formats a byte count in MB (10^6 bytes) with one decimal.
func MB(n int64) string { return fmt.Sprintf("%.1f MB", float64(n)/1e6) }

// FirstLines returns at most n lines of s, for error messages that quote
// tool output.
func FirstLines(s string, n int) string {
	lines := strings.SplitN(strings.TrimSpace(s), "\n", n+1)
	if len(lines) > n {
		lines = append(lines[:n], "...")
	}
	return strings.Join(lines, "\n")
}

// RemoveAll removes dir, first making its folders writable: a Go module
// cache is read-only.
func RemoveAll(dir string) {
	_ = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			_ = os.Chmod(path, 0o755)
		}
		return nil
	})
	_ = os.RemoveAll(dir)
}

// VCConfig is what the benchmarks read of a function's .vc-config.json.
type VCConfig struct {
	Handler string `json:"handler"`
	// FilePathMap maps files of the function to where they are (Vercel
	// leaves some outside the output folder); relative paths are relative
	// to the project.
	FilePathMap map[string]string `json:"filePathMap"`
}

// WalkVCConfigs calls fn with the path and contents of every
// .vc-config.json under funcs (a .vercel/output/functions folder).
func WalkVCConfigs(funcs string, fn func(path string, cfg VCConfig) error) error {
	return filepath.WalkDir(funcs, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() != ".vc-config.json" {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		var cfg VCConfig
		if err := json.Unmarshal(data, &cfg); err != nil {
			return fmt.Errorf("reading %s: %w", path, err)
		}
		return fn(path, cfg)
	})
}
