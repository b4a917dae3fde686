package buildsys

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lambdalens/lambdalens/runtimes"
)

// treeBuilder writes a bootstrap and a data file and counts its builds; its
// key is fixed.
type treeBuilder struct {
	builds atomic.Int64
}

func (b *treeBuilder) Build(ctx context.Context, req Request) (*Result, error) {
	b.builds.Add(1)
	if err := os.WriteFile(filepath.Join(req.OutDir, "bootstrap"), []byte("bin"), 0o755); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(req.OutDir, "data"), 0o755); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(req.OutDir, "data", "x.txt"), []byte("data"), 0o644); err != nil {
		return nil, err
	}
	return &Result{Artifact: &runtimes.Artifact{Handler: "bootstrap", Runtime: "provided.al2023"}}, nil
}

func (b *treeBuilder) CacheKey(context.Context, Request) (string, error) { return "k", nil }

// writeThrough writes to file in place at offset off, as an editor that
// keeps hard links does, lifting the file's read-only mode for the write
// and putting it back after.
func writeThrough(t *testing.T, file string, off int64, data string) {
	t.Helper()
	st, err := os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(file, st.Mode().Perm()|0o200); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(file, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte(data), off); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(file, st.Mode().Perm()); err != nil {
		t.Fatal(err)
	}
}

// Output files are hard links into the build cache. A write to one used to
// change the cache entry, and every later build restored the changed file.
func TestWithCacheRebuildsChangedEntries(t *testing.T) {
	tests := []struct {
		description string
		// change alters the entry whose files are under files, or the
		// output out restored from it.
		change func(t *testing.T, entry, out string)
		// why is in the debug message that explains the rebuild.
		why string
	}{
		{"an output file appended to", func(t *testing.T, entry, out string) {
			writeThrough(t, filepath.Join(out, "bootstrap"), 3, "\n# tampered")
		}, "bootstrap: size 14, stored 3"},
		{"an output file rewritten with the same size", func(t *testing.T, entry, out string) {
			file := filepath.Join(out, "data", "x.txt")
			writeThrough(t, file, 0, "DATA")
			// Timestamps may be coarser than the time this test takes:
			// say when the write was.
			later := time.Now().Add(time.Second)
			if err := os.Chtimes(file, later, later); err != nil {
				t.Fatal(err)
			}
		}, "data/x.txt: modified"},
		{"an output file's mode changed", func(t *testing.T, entry, out string) {
			if err := os.Chmod(filepath.Join(out, "bootstrap"), 0o700); err != nil {
				t.Fatal(err)
			}
		}, "bootstrap: mode -rwx------"},
		{"a file removed from the entry", func(t *testing.T, entry, out string) {
			if err := os.Remove(filepath.Join(entry, cacheFilesDir, "data", "x.txt")); err != nil {
				t.Fatal(err)
			}
		}, "data/x.txt was removed"},
		{"a file added to the entry", func(t *testing.T, entry, out string) {
			writeFile(t, filepath.Join(entry, cacheFilesDir, "data", "extra.txt"), "extra")
		}, "data/extra.txt was added"},
		{"a directory added to the entry", func(t *testing.T, entry, out string) {
			if err := os.Mkdir(filepath.Join(entry, cacheFilesDir, "more"), 0o755); err != nil {
				t.Fatal(err)
			}
		}, "more was added"},
		{"the entry's files removed", func(t *testing.T, entry, out string) {
			if err := os.RemoveAll(filepath.Join(entry, cacheFilesDir)); err != nil {
				t.Fatal(err)
			}
		}, "no such file"},
		{"the manifest removed (an entry of an older lambdalens)", func(t *testing.T, entry, out string) {
			if err := os.Remove(filepath.Join(entry, cacheManifestFile)); err != nil {
				t.Fatal(err)
			}
		}, "reading its manifest"},
	}
	for _, tt := range tests {
		t.Run(tt.description, func(t *testing.T) {
			dir := t.TempDir()
			var logs bytes.Buffer
			inner := &treeBuilder{}
			b := WithCache(inner, dir, slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
			if _, err := b.Build(context.Background(), request(t)); err != nil {
				t.Fatal(err)
			}
			req := request(t)
			if res, err := b.Build(context.Background(), req); err != nil || !res.Cached {
				t.Fatalf("second Build = %+v, %v; want a cache hit", res, err)
			}

			tt.change(t, filepath.Join(dir, "k"), req.OutDir)
			req = request(t)
			res, err := b.Build(context.Background(), req)
			if err != nil || res.Cached {
				t.Fatalf("Build after the change = %+v, %v; want a rebuild", res, err)
			}
			if n := inner.builds.Load(); n != 2 {
				t.Errorf("inner builds = %d, want 2", n)
			}
			for name, want := range map[string]string{"bootstrap": "bin", "data/x.txt": "data"} {
				if got, err := os.ReadFile(filepath.Join(req.OutDir, filepath.FromSlash(name))); err != nil || string(got) != want {
					t.Errorf("rebuilt %s = %q, %v; want %q", name, got, err, want)
				}
			}
			log := logs.String()
			if !strings.Contains(log, "level=DEBUG msg=\"build cache entry changed since it was stored, rebuilding\"") ||
				!strings.Contains(log, tt.why) {
				t.Errorf("log lacks a debug message saying %q:\n%s", tt.why, log)
			}
			if strings.Contains(log, "level=WARN") {
				t.Errorf("a changed entry was logged as a warning:\n%s", log)
			}

			// The rebuild replaced the entry.
			req = request(t)
			if res, err := b.Build(context.Background(), req); err != nil || !res.Cached {
				t.Fatalf("Build after the rebuild = %+v, %v; want a cache hit", res, err)
			}
			if got, err := os.ReadFile(filepath.Join(req.OutDir, "bootstrap")); err != nil || string(got) != "bin" {
				t.Errorf("restored bootstrap = %q, %v; want %q", got, err, "bin")
			}
		})
	}
}

// An entry copied by an archiver that keeps whole seconds only (GNU tar's
// default format, in some CI caches) is still restored.
func TestWithCacheAcceptsSecondsOnlyTimes(t *testing.T) {
	dir := t.TempDir()
	inner := &treeBuilder{}
	b := WithCache(inner, dir, slog.New(slog.DiscardHandler))
	if _, err := b.Build(context.Background(), request(t)); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"bootstrap", "data/x.txt"} {
		file := filepath.Join(dir, "k", cacheFilesDir, filepath.FromSlash(name))
		st, err := os.Stat(file)
		if err != nil {
			t.Fatal(err)
		}
		mt := st.ModTime().Truncate(time.Second)
		if err := os.Chtimes(file, mt, mt); err != nil {
			t.Fatal(err)
		}
	}
	if res, err := b.Build(context.Background(), request(t)); err != nil || !res.Cached {
		t.Fatalf("Build = %+v, %v; want a cache hit", res, err)
	}
}

func TestFileStatDiff(t *testing.T) {
	stored := fileStat{Size: 3, ModTime: time.Date(2026, 1, 2, 3, 4, 5, 678, time.UTC).UnixNano(), Mode: 0o555}
	tests := []struct {
		description string
		got         fileStat
		want        string
	}{
		{"the same", stored, ""},
		{"truncated to the second", fileStat{Size: 3, ModTime: stored.ModTime - 678, Mode: 0o555}, ""},
		{"a nanosecond later", fileStat{Size: 3, ModTime: stored.ModTime + 1, Mode: 0o555}, "modified 2026-01-02T03:04:05.000000679Z, stored 2026-01-02T03:04:05.000000678Z"},
		{"a second earlier", fileStat{Size: 3, ModTime: stored.ModTime - 678 - int64(time.Second), Mode: 0o555}, "modified 2026-01-02T03:04:04Z, stored 2026-01-02T03:04:05.000000678Z"},
		{"bigger", fileStat{Size: 4, ModTime: stored.ModTime, Mode: 0o555}, "size 4, stored 3"},
		{"writable", fileStat{Size: 3, ModTime: stored.ModTime, Mode: 0o755}, "mode -rwxr-xr-x, stored -r-xr-xr-x"},
	}
	for _, tt := range tests {
		if got := stored.diff(tt.got); got != tt.want {
			t.Errorf("%s: diff = %q, want %q", tt.description, got, tt.want)
		}
	}
}

// An entry folder without its artifact.json (written by hand, half
// removed) is replaced by the next build; as a plain miss it stayed in the
// way of every store's rename, and every build rebuilt.
func TestWithCacheRepairsAnEntryWithoutItsArtifact(t *testing.T) {
	dir := t.TempDir()
	inner := &treeBuilder{}
	b := WithCache(inner, dir, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if _, err := b.Build(context.Background(), request(t)); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, "k", cacheArtifactFile)); err != nil {
		t.Fatal(err)
	}
	var cached []bool
	for range 3 {
		res, err := b.Build(context.Background(), request(t))
		if err != nil {
			t.Fatal(err)
		}
		cached = append(cached, res.Cached)
	}
	if n := inner.builds.Load(); n != 2 || !slices.Equal(cached, []bool{false, true, true}) {
		t.Errorf("after the artifact was removed: %d builds in all, cached %v; want 2 builds, cached [false true true]", n, cached)
	}
}

// A copy that fails midway removes what it created, rather than leave a
// truncated file in an output or a cache entry.
func TestCopyFileRemovesAFailedCopy(t *testing.T) {
	dst := filepath.Join(t.TempDir(), "bootstrap")
	// Reading a directory fails after the destination is created.
	if err := copyFile(t.TempDir(), dst, 0o755); err == nil {
		t.Fatal("copying a directory as a file: no error")
	}
	if _, err := os.Lstat(dst); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("after the failed copy, %s: %v, want it gone", dst, err)
	}
}
