package buildsys

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

type copyOptions struct {
	// link hardlinks regular files when the file system allows it, and
	// copies them otherwise.
	link bool
	// follow copies what a symlink to a regular file points at instead of
	// recreating the link, and leaves out every other link: a broken one
	// (an editor's lock file, say) and one to a folder, which the dev
	// server does not serve either (project.Load warns about those among
	// static files).
	follow bool
	// skip leaves out the slash path (relative to the source) and, for a
	// directory (isDir), everything under it. Nil skips nothing.
	skip func(rel string, isDir bool) bool
	// readOnly gives the regular files it copies (not those it links) the
	// permission bits of a stored file, cachedPerm.
	readOnly bool
	// check, when set, is called with the slash path (relative to the
	// source) and the os.Lstat of every file, symlink and directory below
	// src before it is copied; an error stops the copy and is returned as
	// is.
	check func(rel string, info fs.FileInfo) error
}

// copyTree copies the tree at src into dst, creating dst if needed. Regular
// files keep their permission bits (but see o.readOnly); directories are
// created 0755.
func copyTree(src, dst string, o copyOptions) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("reading %s: %w", p, err)
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return fmt.Errorf("locating %s in %s: %w", p, src, err)
		}
		if rel != "." && o.skip != nil && o.skip(filepath.ToSlash(rel), d.IsDir()) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		var info fs.FileInfo
		if !d.IsDir() || (rel != "." && o.check != nil) {
			// os.Lstat, not d.Info(): on Windows a directory listing has the
			// size and time last written through that name, not through
			// another hard link to the file (an output file), which the
			// check must see.
			if info, err = os.Lstat(p); err != nil {
				return fmt.Errorf("stat %s: %w", p, err)
			}
		}
		if rel != "." && o.check != nil {
			if err := o.check(filepath.ToSlash(rel), info); err != nil {
				return err
			}
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			if err := os.MkdirAll(target, 0o755); err != nil {
				return fmt.Errorf("creating %s: %w", target, err)
			}
			return nil
		}
		switch m := info.Mode(); {
		case m.IsRegular():
			perm := m.Perm()
			if o.readOnly {
				perm = cachedPerm(perm)
			}
			return linkOrCopy(p, target, perm, o.link)
		case m&fs.ModeSymlink != 0 && o.follow:
			st, err := os.Stat(p)
			if err != nil || !st.Mode().IsRegular() {
				return nil
			}
			return copyFile(p, target, st.Mode().Perm())
		case m&fs.ModeSymlink != 0:
			link, err := os.Readlink(p)
			if err != nil {
				return fmt.Errorf("reading link %s: %w", p, err)
			}
			if err := os.Symlink(link, target); err != nil {
				return fmt.Errorf("creating link %s: %w", target, err)
			}
			return nil
		default:
			return fmt.Errorf("copying %s: unsupported file type %s", p, m.Type())
		}
	})
}

func linkOrCopy(src, dst string, perm fs.FileMode, link bool) error {
	if link && os.Link(src, dst) == nil {
		return nil
	}
	return copyFile(src, dst, perm)
}

func copyFile(src, dst string, perm fs.FileMode) (err error) {
	in, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("opening %s: %w", src, err)
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return fmt.Errorf("creating %s: %w", dst, err)
	}
	// Created here (O_EXCL): a copy that failed midway is removed, not
	// left behind as a truncated file in an output or a cache entry.
	defer func() {
		if err != nil {
			os.Remove(dst)
		}
	}()
	defer func() {
		if cerr := out.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("closing %s: %w", dst, cerr)
		}
	}()
	if _, err := io.Copy(out, in); err != nil {
		return fmt.Errorf("copying %s to %s: %w", src, dst, err)
	}
	// The umask may have dropped bits (the exec bit of a bootstrap).
	if err := out.Chmod(perm); err != nil {
		return fmt.Errorf("chmod %s: %w", dst, err)
	}
	return nil
}

// linkInto replaces each file of dst by a link to the regular file at the
// same path in src (a copy where the file system cannot link), one file at
// a time, so that an error midway leaves every file either as it was or
// replaced. src is a copy of dst.
func linkInto(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("reading %s: %w", p, err)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return fmt.Errorf("locating %s in %s: %w", p, src, err)
		}
		return replaceWithLink(p, filepath.Join(dst, rel))
	})
}

// replaceWithLink replaces the file dst by a link to src (a copy where the
// file system cannot link) in one rename.
func replaceWithLink(src, dst string) error {
	info, err := os.Stat(src)
	if err != nil {
		return fmt.Errorf("stat %s: %w", src, err)
	}
	tmp := dst + ".tmp-link"
	if err := os.Remove(tmp); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("removing the leftover %s: %w", tmp, err)
	}
	if err := linkOrCopy(src, tmp, info.Mode().Perm(), true); err != nil {
		return err
	}
	if err := os.Rename(tmp, dst); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("replacing %s by a link to %s: %w", dst, src, err)
	}
	return nil
}

// writeFileAtomic writes data to file (mode 0644) under a temporary name
// renamed into place, so that readers see the old or the new contents.
func writeFileAtomic(file string, data []byte) error {
	tmp := fmt.Sprintf("%s.tmp-%d", file, time.Now().UnixNano())
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, file); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("renaming %s into place: %w", file, err)
	}
	return nil
}

// emptyDir removes everything inside dir, keeping dir.
func emptyDir(dir string) error {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("emptying %s: %w", dir, err)
	}
	for _, e := range ents {
		if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
			return fmt.Errorf("emptying %s: %w", dir, err)
		}
	}
	return nil
}

// dirSize is the total size of the regular files under dir.
func dirSize(dir string) (int64, error) {
	var n int64
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("reading %s: %w", p, err)
		}
		if d.Type().IsRegular() {
			info, err := d.Info()
			if err != nil {
				return fmt.Errorf("stat %s: %w", p, err)
			}
			n += info.Size()
		}
		return nil
	})
	return n, err
}

// errNotMaterialised marks a .func directory that depends on files outside
// itself.
var errNotMaterialised = errors.New("function files are not self-contained")

// checkMaterialised verifies that dir is self-contained: only regular
// files, directories and symlinks whose targets stay inside dir.
func checkMaterialised(dir string) error {
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("reading %s: %w", p, err)
		}
		switch t := d.Type(); {
		case t.IsDir(), t.IsRegular():
			return nil
		case t&fs.ModeSymlink != 0:
			link, err := os.Readlink(p)
			if err != nil {
				return fmt.Errorf("reading link %s: %w", p, err)
			}
			if filepath.IsAbs(link) {
				return fmt.Errorf("%w: %s links to the absolute path %s", errNotMaterialised, p, link)
			}
			rel, err := filepath.Rel(dir, filepath.Join(filepath.Dir(p), link))
			if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
				return fmt.Errorf("%w: %s links outside the function to %s", errNotMaterialised, p, link)
			}
			return nil
		default:
			return fmt.Errorf("%w: %s is a %s", errNotMaterialised, p, t)
		}
	})
}
