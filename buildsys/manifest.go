package buildsys

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// A cache entry's files are hard-linked into the output, so a write to an
// output file is a write to the entry. Each entry therefore records, when
// it is stored, what os.Lstat says of every file under func/ (and of each
// zip, in a sidecar), and a restore compares: a difference means the entry
// changed after it was stored, and it is rebuilt rather than restored.
// Stored files are also read-only (readOnlyCache), so that writing to an
// output file fails instead of changing the entry, but not for root, nor
// on Windows.
const (
	// cacheManifestFile holds the manifest of an entry's func/ directory.
	cacheManifestFile = "manifest.json"
	// statSuffix names the sidecar holding the fileStat of a file that
	// storeFile put into an entry.
	statSuffix = ".stat"
)

// errEntryChanged marks a cache entry (or a file of one) that is not as it
// was stored: a file's size, modification time or mode differs, or a file
// was added or removed, or its manifest or stat is gone. Such an entry (or
// file) is made again.
var errEntryChanged = errors.New("changed since it was stored")

// fileStat is what a cache entry records of one of its files.
type fileStat struct {
	// Size and ModTime (Unix nanoseconds) are zero for directories, whose
	// size and time say nothing about their contents here.
	Size    int64       `json:"size,omitempty"`
	ModTime int64       `json:"mtime,omitempty"`
	Mode    fs.FileMode `json:"mode"`
}

func statOf(info fs.FileInfo) fileStat {
	if info.IsDir() {
		return fileStat{Mode: info.Mode()}
	}
	return fileStat{Size: info.Size(), ModTime: info.ModTime().UnixNano(), Mode: info.Mode()}
}

// diff describes how got differs from s, the stored stat; "" when it does
// not. A modification time that is the stored one truncated to the second
// is the same: archivers that keep only whole seconds (GNU tar's default
// format, used by some CI caches) restore entries that way, while a write
// to the file sets a time with nanoseconds.
func (s fileStat) diff(got fileStat) string {
	switch {
	case got.Mode != s.Mode:
		return fmt.Sprintf("mode %v, stored %v", got.Mode, s.Mode)
	case got.Size != s.Size:
		return fmt.Sprintf("size %d, stored %d", got.Size, s.Size)
	case got.ModTime != s.ModTime && (got.ModTime%int64(time.Second) != 0 || got.ModTime != s.ModTime-s.ModTime%int64(time.Second)):
		return fmt.Sprintf("modified %s, stored %s",
			time.Unix(0, got.ModTime).UTC().Format(time.RFC3339Nano), time.Unix(0, s.ModTime).UTC().Format(time.RFC3339Nano))
	}
	return ""
}

// manifest maps the slash path of every file, symlink and directory under
// an entry's func/ directory (the directory itself excepted) to its stat.
type manifest map[string]fileStat

// newManifest records the tree at dir.
func newManifest(dir string) (manifest, error) {
	m := manifest{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("reading %s: %w", p, err)
		}
		if p == dir {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return fmt.Errorf("stat %s: %w", p, err)
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return fmt.Errorf("locating %s in %s: %w", p, dir, err)
		}
		m[filepath.ToSlash(rel)] = statOf(info)
		return nil
	})
	return m, err
}

// readManifest reads an entry's manifest. A missing or unreadable one
// makes the entry changed, never missing: its error does not wrap
// fs.ErrNotExist, which would leave the entry in place instead of
// replacing it.
func readManifest(file string) (manifest, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("%w: reading its manifest: %v", errEntryChanged, err)
	}
	var m manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("%w: decoding its manifest %s: %v", errEntryChanged, file, err)
	}
	return m, nil
}

// checker returns a copyOptions.check that compares each file with m, and
// a func reporting the files of m that check never saw.
func (m manifest) checker() (check func(rel string, info fs.FileInfo) error, missing func() error) {
	seen := make(map[string]bool, len(m))
	check = func(rel string, info fs.FileInfo) error {
		want, ok := m[rel]
		if !ok {
			return fmt.Errorf("%w: %s was added", errEntryChanged, rel)
		}
		seen[rel] = true
		if d := want.diff(statOf(info)); d != "" {
			return fmt.Errorf("%w: %s: %s", errEntryChanged, rel, d)
		}
		return nil
	}
	missing = func() error {
		var gone []string
		for rel := range m {
			if !seen[rel] {
				gone = append(gone, rel)
			}
		}
		if len(gone) == 0 {
			return nil
		}
		slices.Sort(gone)
		return fmt.Errorf("%w: %s was removed", errEntryChanged, gone[0])
	}
	return check, missing
}

// writeStat writes the sidecar recording file's current stat.
func writeStat(file string) error {
	st, err := os.Lstat(file)
	if err != nil {
		return fmt.Errorf("stat %s: %w", file, err)
	}
	data, err := json.Marshal(statOf(st))
	if err != nil {
		return fmt.Errorf("encoding the stat of %s: %w", file, err)
	}
	if err := writeFileAtomic(file+statSuffix, data); err != nil {
		return fmt.Errorf("recording the stat of %s: %w", file, err)
	}
	return nil
}

// checkStat returns the size of file when it is as its sidecar recorded.
// A missing file gives an error wrapping fs.ErrNotExist; a missing sidecar
// or any difference one wrapping errEntryChanged.
func checkStat(file string) (int64, error) {
	st, err := os.Lstat(file)
	if err != nil {
		return 0, err
	}
	data, err := os.ReadFile(file + statSuffix)
	if err != nil {
		return 0, fmt.Errorf("%s %w: reading its stat: %v", file, errEntryChanged, err)
	}
	var want fileStat
	if err := json.Unmarshal(data, &want); err != nil {
		return 0, fmt.Errorf("%s %w: decoding its stat: %v", file, errEntryChanged, err)
	}
	if d := want.diff(statOf(st)); d != "" {
		return 0, fmt.Errorf("%s %w: %s", file, errEntryChanged, d)
	}
	return st.Size(), nil
}
