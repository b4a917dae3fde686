package buildsys

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/lambdalens/lambdalens/runtimes"
)

// A cache entry is a directory <dir>/<key>/ holding the function's files
// under func/ (read-only, see readOnlyCache), the runtime's Artifact in artifact.json and, in
// manifest.json, what the files were like when stored (manifest.go).
// Entries are written under a temporary name and renamed into place, so an
// entry that exists is complete.
const (
	cacheFilesDir     = "func"
	cacheArtifactFile = "artifact.json"
)

// readOnlyCache tells whether stored files are read-only, so that a write
// to an output file linked to one fails instead of changing the entry.
// Not on Windows: deleting a read-only file there (a previous output, say)
// means clearing its read-only attribute, which its hard links share, so
// every build would change the entries it restored.
const readOnlyCache = runtime.GOOS != "windows"

// cachedPerm is the permission bits of a stored copy of a file with perm.
func cachedPerm(perm fs.FileMode) fs.FileMode {
	if readOnlyCache {
		return perm &^ 0o222
	}
	return perm
}

// WithCache returns a Builder that restores a function from dir when inner's
// CacheKey finds an entry there, and otherwise builds it with inner and
// stores the result. Restored and stored files alike end up as hard links
// to the entry's files (copies where the file system cannot link), which
// are read-only (see readOnlyCache). An entry whose files changed after they were stored is rebuilt
// and replaced, as is one that cannot be restored; a store that fails is
// logged and does not fail the build. A nil logger means slog.Default().
func WithCache(inner CacheableBuilder, dir string, logger *slog.Logger) Builder {
	return newCache(inner, dir, logger, false)
}

// newCache is WithCache; rebuild skips lookups but still stores results.
func newCache(inner CacheableBuilder, dir string, logger *slog.Logger, rebuild bool) *cachingBuilder {
	if logger == nil {
		logger = slog.Default().With("component", "buildsys")
	}
	return &cachingBuilder{inner: inner, dir: dir, logger: logger, rebuild: rebuild}
}

type cachingBuilder struct {
	inner  CacheableBuilder
	dir    string
	logger *slog.Logger
	// rebuild skips the lookup; results are still stored.
	rebuild bool
}

func (c *cachingBuilder) Build(ctx context.Context, req Request) (*Result, error) {
	key, err := c.inner.CacheKey(ctx, req)
	if err != nil {
		return nil, err
	}
	if !validKey(key) {
		return nil, fmt.Errorf("caching %s: unusable cache key %q", req.Function.File, key)
	}
	entry := filepath.Join(c.dir, key)
	var art *runtimes.Artifact
	err = fs.ErrNotExist
	if !c.rebuild {
		art, err = c.restore(entry, req.OutDir)
	}
	switch {
	case err == nil:
		return &Result{Artifact: art, Cached: true, Key: key}, nil
	case !errors.Is(err, fs.ErrNotExist):
		if errors.Is(err, errEntryChanged) {
			// Most likely an output file written through its hard link.
			c.logger.Debug("build cache entry changed since it was stored, rebuilding", "function", req.Function.ID, "entry", entry, "why", err)
		} else {
			c.logger.Warn("build cache entry unusable, rebuilding", "function", req.Function.ID, "entry", entry, "err", err)
		}
		if err := emptyDir(req.OutDir); err != nil {
			return nil, fmt.Errorf("rebuilding %s: %w", req.Function.File, err)
		}
		// Drop the entry so that the fresh build can take its place.
		if err := removeEntry(entry); err != nil {
			c.logger.Warn("removing unusable build cache entry", "entry", entry, "err", err)
		}
	}
	res, err := c.inner.Build(ctx, req)
	if err != nil {
		return nil, err
	}
	res.Key = key
	if c.rebuild {
		// A forced rebuild refreshes the entry.
		if err := removeEntry(entry); err != nil {
			c.logger.Warn("removing build cache entry", "entry", entry, "err", err)
		}
	}
	if err := c.store(entry, req.OutDir, res.Artifact); err != nil {
		c.logger.Warn("storing build in cache", "function", req.Function.ID, "err", err)
	}
	return res, nil
}

// restore links entry's files into dst, checking each against the
// entry's manifest first. It returns an error wrapping fs.ErrNotExist when
// there is no entry, and one wrapping errEntryChanged when the entry's
// files are not as stored; either way dst may be partly restored.
func (c *cachingBuilder) restore(entry, dst string) (*runtimes.Artifact, error) {
	data, err := os.ReadFile(filepath.Join(entry, cacheArtifactFile))
	if err != nil {
		if _, serr := os.Stat(entry); errors.Is(err, fs.ErrNotExist) && serr == nil {
			// The entry is there without its artifact (written by hand,
			// or half removed): changed, so that it is replaced; a miss
			// would leave it in the way of the store's rename.
			return nil, fmt.Errorf("%w: it has no %s", errEntryChanged, cacheArtifactFile)
		}
		return nil, err
	}
	var art runtimes.Artifact
	if err := json.Unmarshal(data, &art); err != nil {
		return nil, fmt.Errorf("decoding %s: %w", filepath.Join(entry, cacheArtifactFile), err)
	}
	m, err := readManifest(filepath.Join(entry, cacheManifestFile))
	if err != nil {
		return nil, err
	}
	check, missing := m.checker()
	err = copyTree(filepath.Join(entry, cacheFilesDir), dst, copyOptions{link: true, check: check})
	if err == nil {
		err = missing()
	}
	switch {
	case errors.Is(err, errEntryChanged):
		return nil, fmt.Errorf("restoring %s: %w", entry, err)
	case errors.Is(err, fs.ErrNotExist):
		// Not wrapped: a file missing from an entry that exists (func/
		// itself, say) is a changed entry, not a cache miss.
		return nil, fmt.Errorf("restoring %s: %w: %v", entry, errEntryChanged, err)
	case err != nil:
		return nil, fmt.Errorf("restoring %s: %w", entry, err)
	}
	// The entry's mtime records its last use, for whoever prunes the cache.
	now := time.Now()
	_ = os.Chtimes(entry, now, now)
	return &art, nil
}

// store copies src into a new entry (read-only, see readOnlyCache), with
// the manifest of the copies, and then replaces src's files by links to them, so that src is
// what a restore of the entry would give. Files are copied, not linked,
// so that the cache owns its bytes: a runtime may have linked src's files
// from a cache of its own.
func (c *cachingBuilder) store(entry, src string, art *runtimes.Artifact) error {
	if err := os.MkdirAll(c.dir, 0o755); err != nil {
		return fmt.Errorf("creating cache dir %s: %w", c.dir, err)
	}
	tmp, err := os.MkdirTemp(c.dir, filepath.Base(entry)+".tmp-")
	if err != nil {
		return fmt.Errorf("creating cache entry: %w", err)
	}
	defer os.RemoveAll(tmp) // a no-op once renamed
	files := filepath.Join(tmp, cacheFilesDir)
	if err := copyTree(src, files, copyOptions{readOnly: readOnlyCache}); err != nil {
		return fmt.Errorf("copying %s into the cache: %w", src, err)
	}
	m, err := newManifest(files)
	if err != nil {
		return fmt.Errorf("recording the files of %s: %w", src, err)
	}
	if err := writeEntryJSON(filepath.Join(tmp, cacheManifestFile), m); err != nil {
		return err
	}
	if err := writeEntryJSON(filepath.Join(tmp, cacheArtifactFile), art); err != nil {
		return err
	}
	// Before the rename, so that should a concurrent build of the key win
	// the race, src is left linked to files nothing else holds.
	if err := linkInto(files, src); err != nil {
		return fmt.Errorf("linking %s to the cache: %w", src, err)
	}
	if err := os.Rename(tmp, entry); err != nil {
		if _, serr := os.Stat(filepath.Join(entry, cacheArtifactFile)); serr == nil {
			return nil // a concurrent build of the same key won the race
		}
		return fmt.Errorf("renaming cache entry into place: %w", err)
	}
	return nil
}

// writeEntryJSON writes v to file, a new file of a cache entry.
func writeEntryJSON(file string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encoding %s: %w", filepath.Base(file), err)
	}
	if err := os.WriteFile(file, data, 0o644); err != nil {
		return fmt.Errorf("writing cache entry: %w", err)
	}
	return nil
}

// pruneCache removes the entries of dir (and leftovers of interrupted
// stores) last used more than ttl before now. Failures are logged: a cache
// that cannot be pruned still works.
func pruneCache(dir string, ttl time.Duration, now time.Time, logger *slog.Logger) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			logger.Warn("pruning the build cache", "dir", dir, "err", err)
		}
		return
	}
	for _, e := range ents {
		info, err := e.Info()
		if err != nil || !e.IsDir() || now.Sub(info.ModTime()) <= ttl {
			continue
		}
		if err := removeEntry(filepath.Join(dir, e.Name())); err != nil {
			logger.Warn("pruning the build cache", "entry", e.Name(), "err", err)
		}
	}
}

// removeEntry removes a cache entry by first renaming it out of the way,
// so that a removal cut short (the process killed) cannot leave an entry
// that still looks complete; pruneCache sweeps what is left.
func removeEntry(entry string) error {
	gone := fmt.Sprintf("%s.tmp-rm-%d", entry, time.Now().UnixNano())
	if err := os.Rename(entry, gone); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return fmt.Errorf("moving %s out of the way: %w", entry, err)
	}
	return os.RemoveAll(gone)
}

// storeFile copies src (read-only, see readOnlyCache) into the existing
// cache entry directory of dst, under a temporary name renamed into place, records its stat
// beside it (for checkStat), and replaces src by a link to it. A missing
// entry (its store failed) is an error.
func storeFile(src, dst string) error {
	if _, err := os.Stat(filepath.Dir(dst)); err != nil {
		return err
	}
	tmp := fmt.Sprintf("%s.tmp-%d", dst, time.Now().UnixNano())
	if err := copyFile(src, tmp, cachedPerm(0o644)); err != nil {
		return err
	}
	if err := os.Rename(tmp, dst); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("renaming %s into place: %w", dst, err)
	}
	if err := writeStat(dst); err != nil {
		return err
	}
	return replaceWithLink(dst, src)
}

// validKey reports whether key can name an entry directory: one plain path
// element.
func validKey(key string) bool {
	return key != "" && key != "." && key != ".." && !strings.ContainsAny(key, `/\`+"\x00")
}
