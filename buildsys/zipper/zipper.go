// Package zipper writes reproducible zip archives of a directory tree, the
// form AWS Lambda takes function code in.
//
// The same tree always gives the same bytes: entries are sorted by path,
// every entry carries the same timestamp (SOURCE_DATE_EPOCH, or the zip
// epoch 1980-01-01 when unset), and file modes are normalised to 0644, or
// 0755 for executables, so neither umask nor checkout time leak into the
// archive. Directories get no entries of their own; Lambda does not need
// them and leaving them out removes one more source of variation.
package zipper

import (
	"archive/zip"
	"bufio"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Epoch is the earliest time a zip (MS-DOS) timestamp can hold, and the
// timestamp of every entry when no other is given.
var Epoch = time.Date(1980, time.January, 1, 0, 0, 0, 0, time.UTC)

// latest is the last time both timestamps of an entry can hold: the
// extended timestamp field is an unsigned 32-bit Unix time (Go writes it
// next to the MS-DOS one), and MS-DOS times have a 2-second resolution.
var latest = time.Unix(1<<32-2, 0).UTC()

// Executables are the base names that always get mode 0755 when they sit at
// the root of the archive, whatever their mode on disk: the entry points
// Lambda and the Vercel runtimes execute.
var Executables = []string{"bootstrap", "executable", "user-server"}

// Options tune WriteDir. The zero value is ready to use.
type Options struct {
	// Modified is the timestamp of every entry. Zero means Epoch. Times
	// before Epoch are clamped to it, times after early 2106 to the last
	// representable second (the range of a zip timestamp).
	Modified time.Time
	// Exclude reports whether the file at name (slash-separated, relative
	// to the directory) is left out. Nil keeps every file.
	Exclude func(name string) bool
}

// SourceDateEpoch parses the value of SOURCE_DATE_EPOCH (decimal seconds
// since the Unix epoch). An empty value gives Epoch.
func SourceDateEpoch(v string) (time.Time, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return Epoch, nil
	}
	sec, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("parsing SOURCE_DATE_EPOCH=%q: want seconds since 1970: %w", v, err)
	}
	return time.Unix(sec, 0).UTC(), nil
}

// entry is one file or symlink to archive.
type entry struct {
	name string // slash path inside the archive
	abs  string // path on disk
	mode fs.FileMode
}

// WriteFile writes the zip of dir to the file dst (created or truncated).
// It returns the size of the archive.
func WriteFile(dst, dir string, o Options) (size int64, err error) {
	f, err := os.Create(dst)
	if err != nil {
		return 0, fmt.Errorf("creating %s: %w", dst, err)
	}
	defer func() {
		if cerr := f.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("closing %s: %w", dst, cerr)
		}
	}()
	bw := bufio.NewWriterSize(f, 1<<16)
	if err := WriteDir(bw, dir, o); err != nil {
		return 0, err
	}
	if err := bw.Flush(); err != nil {
		return 0, fmt.Errorf("writing %s: %w", dst, err)
	}
	st, err := f.Stat()
	if err != nil {
		return 0, fmt.Errorf("stat %s: %w", dst, err)
	}
	return st.Size(), nil
}

// WriteDir writes a zip of the regular files and symlinks under dir to w.
// Symlinks are stored as links (Lambda keeps them), with their target as
// the entry's content. Other file types (sockets, devices) are an error.
func WriteDir(w io.Writer, dir string, o Options) error {
	entries, err := collect(dir, o.Exclude)
	if err != nil {
		return err
	}
	mod := clamp(o.Modified)
	zw := zip.NewWriter(w)
	for _, e := range entries {
		if err := writeEntry(zw, e, mod); err != nil {
			return err
		}
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("finishing zip of %s: %w", dir, err)
	}
	return nil
}

func clamp(t time.Time) time.Time {
	switch {
	case t.IsZero(), t.Before(Epoch):
		return Epoch
	case t.After(latest):
		return latest
	}
	return t.UTC().Truncate(time.Second)
}

func collect(dir string, exclude func(string) bool) ([]entry, error) {
	var out []entry
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("reading %s: %w", p, err)
		}
		if d.IsDir() {
			return nil
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return fmt.Errorf("locating %s in %s: %w", p, dir, err)
		}
		name := filepath.ToSlash(rel)
		if exclude != nil && exclude(name) {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return fmt.Errorf("stat %s: %w", p, err)
		}
		switch m := info.Mode(); {
		case m.IsRegular():
			out = append(out, entry{name: name, abs: p, mode: fileMode(name, m)})
		case m&fs.ModeSymlink != 0:
			out = append(out, entry{name: name, abs: p, mode: fs.ModeSymlink | 0o777})
		default:
			return fmt.Errorf("archiving %s: unsupported file type %s", p, m.Type())
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	// WalkDir visits in lexical order of each directory's names, which is
	// not the order of the full paths ("a/b" vs "a-b"); sort explicitly.
	slices.SortFunc(out, func(a, b entry) int { return strings.Compare(a.name, b.name) })
	return out, nil
}

// fileMode normalises a regular file's mode: 0755 if any execute bit is set
// or the file is a known entry point at the root, 0644 otherwise.
func fileMode(name string, m fs.FileMode) fs.FileMode {
	if m.Perm()&0o111 != 0 || (path.Dir(name) == "." && slices.Contains(Executables, name)) {
		return 0o755
	}
	return 0o644
}

func writeEntry(zw *zip.Writer, e entry, mod time.Time) error {
	fh := &zip.FileHeader{Name: e.name, Method: zip.Deflate, Modified: mod}
	fh.SetMode(e.mode)
	if e.mode&fs.ModeSymlink != 0 {
		target, err := os.Readlink(e.abs)
		if err != nil {
			return fmt.Errorf("reading link %s: %w", e.abs, err)
		}
		fh.Method = zip.Store
		w, err := zw.CreateHeader(fh)
		if err != nil {
			return fmt.Errorf("adding %s to zip: %w", e.name, err)
		}
		if _, err := io.WriteString(w, filepath.ToSlash(target)); err != nil {
			return fmt.Errorf("adding %s to zip: %w", e.name, err)
		}
		return nil
	}
	f, err := os.Open(e.abs)
	if err != nil {
		return fmt.Errorf("opening %s: %w", e.abs, err)
	}
	defer f.Close()
	w, err := zw.CreateHeader(fh)
	if err != nil {
		return fmt.Errorf("adding %s to zip: %w", e.name, err)
	}
	if _, err := io.Copy(w, f); err != nil {
		return fmt.Errorf("adding %s to zip: %w", e.name, err)
	}
	return nil
}
