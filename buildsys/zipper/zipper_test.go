package zipper

import (
	"archive/zip"
	"bytes"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// writeTree creates files under dir; a value starting with "->" makes a
// symlink. perm applies to every regular file except those in exec.
func writeTree(t *testing.T, dir string, files map[string]string, perm fs.FileMode, exec ...string) {
	t.Helper()
	for name, body := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if target, ok := strings.CutPrefix(body, "->"); ok {
			if err := os.Symlink(target, p); err != nil {
				t.Fatal(err)
			}
			continue
		}
		m := perm
		if slices.Contains(exec, name) {
			m = 0o700
		}
		if err := os.WriteFile(p, []byte(body), m); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, m); err != nil { // umask-proof
			t.Fatal(err)
		}
	}
}

func zipBytes(t *testing.T, dir string, o Options) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteDir(&buf, dir, o); err != nil {
		t.Fatalf("WriteDir: %v", err)
	}
	return buf.Bytes()
}

var tree = map[string]string{
	"bootstrap":         "\x7fELF binary",
	"user-server":       "server",
	"a-b":               "dash",
	"a/b":               "nested",
	"a/c/d.txt":         "deep",
	"z.txt":             "last",
	"_vendor/pkg/x.py":  "print(1)",
	"_vendor/bin/tool":  "#!/bin/sh",
	"link-to-z":         "->z.txt",
	".vc-config.json":   "{}",
	"public/index.html": "<p>hi</p>",
}

func TestWriteDirDeterministic(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	writeTree(t, a, tree, 0o644, "_vendor/bin/tool")
	// Same content, different permissions and mtimes: the archive must not
	// change.
	writeTree(t, b, tree, 0o600, "_vendor/bin/tool")
	old := time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)
	if err := filepath.WalkDir(b, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.Type()&fs.ModeSymlink != 0 {
			return err
		}
		return os.Chtimes(p, old, old)
	}); err != nil {
		t.Fatal(err)
	}
	// Read-only, as buildsys links them from its cache.
	c := t.TempDir()
	writeTree(t, c, tree, 0o444, "_vendor/bin/tool")
	if err := os.Chmod(filepath.Join(c, "_vendor", "bin", "tool"), 0o555); err != nil {
		t.Fatal(err)
	}
	za1, za2, zb, zc := zipBytes(t, a, Options{}), zipBytes(t, a, Options{}), zipBytes(t, b, Options{}), zipBytes(t, c, Options{})
	if !bytes.Equal(za1, za2) {
		t.Error("two zips of the same tree differ")
	}
	if !bytes.Equal(za1, zb) {
		t.Error("zips of trees differing only in modes and mtimes differ")
	}
	if !bytes.Equal(za1, zc) {
		t.Error("the zip of a read-only tree differs")
	}
}

func TestWriteDirEntries(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, tree, 0o644, "_vendor/bin/tool")
	epoch := time.Unix(1700000000, 0).UTC()
	data := zipBytes(t, dir, Options{
		Modified: epoch,
		Exclude:  func(name string) bool { return name == ".vc-config.json" },
	})
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
	}
	want := []string{"_vendor/bin/tool", "_vendor/pkg/x.py", "a-b", "a/b", "a/c/d.txt", "bootstrap", "link-to-z", "public/index.html", "user-server", "z.txt"}
	if !slices.Equal(names, want) {
		t.Fatalf("entries = %q\nwant      %q", names, want)
	}
	modes := map[string]fs.FileMode{
		"bootstrap":        0o755, // 0644 on disk, forced as an entry point
		"user-server":      0o755,
		"_vendor/bin/tool": 0o755, // exec bit kept
		"a/b":              0o644,
		"z.txt":            0o644,
		"link-to-z":        fs.ModeSymlink | 0o777,
	}
	for _, f := range zr.File {
		if m, ok := modes[f.Name]; ok && f.Mode() != m {
			t.Errorf("%s: mode %v, want %v", f.Name, f.Mode(), m)
		}
		if !f.Modified.Equal(epoch) {
			t.Errorf("%s: modified %v, want %v", f.Name, f.Modified, epoch)
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		wantBody := strings.TrimPrefix(tree[f.Name], "->")
		if string(body) != wantBody {
			t.Errorf("%s: body %q, want %q", f.Name, body, wantBody)
		}
	}
}

func TestWriteDirTimestamps(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"f": "x"}, 0o644)
	tests := []struct {
		description string
		in          time.Time
		want        time.Time
	}{
		{"zero means the zip epoch", time.Time{}, Epoch},
		{"before 1980 is clamped", time.Unix(0, 0), Epoch},
		{"a normal epoch is kept", time.Unix(1600000000, 0), time.Unix(1600000000, 0)},
		{"after 2107 is clamped", time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC), latest},
	}
	for _, tt := range tests {
		t.Run(tt.description, func(t *testing.T) {
			data := zipBytes(t, dir, Options{Modified: tt.in})
			zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
			if err != nil {
				t.Fatal(err)
			}
			if got := zr.File[0].Modified; !got.Equal(tt.want) {
				t.Errorf("Modified = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestWriteFile(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"bootstrap": "bin"}, 0o755)
	dst := filepath.Join(t.TempDir(), "fn.zip")
	size, err := WriteFile(dst, dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(dst)
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(data)) != size {
		t.Errorf("size = %d, file has %d bytes", size, len(data))
	}
	if !bytes.Equal(data, zipBytes(t, dir, Options{})) {
		t.Error("WriteFile and WriteDir disagree")
	}
	if _, err := WriteFile(filepath.Join(dst, "nope", "x.zip"), dir, Options{}); err == nil {
		t.Error("WriteFile into a missing directory succeeded")
	}
}

func TestWriteDirMissing(t *testing.T) {
	if err := WriteDir(io.Discard, filepath.Join(t.TempDir(), "missing"), Options{}); err == nil {
		t.Fatal("WriteDir of a missing directory succeeded")
	}
}

func TestSourceDateEpoch(t *testing.T) {
	tests := []struct {
		in      string
		want    time.Time
		wantErr bool
	}{
		{"", Epoch, false},
		{"  ", Epoch, false},
		{"1700000000", time.Unix(1700000000, 0), false},
		{" 42\n", time.Unix(42, 0), false},
		{"-5", time.Unix(-5, 0), false},
		{"1.5", time.Time{}, true},
		{"yesterday", time.Time{}, true},
		{"99999999999999999999", time.Time{}, true},
	}
	for _, tt := range tests {
		got, err := SourceDateEpoch(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("SourceDateEpoch(%q) error = %v, wantErr %v", tt.in, err, tt.wantErr)
			continue
		}
		if !got.Equal(tt.want) {
			t.Errorf("SourceDateEpoch(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func FuzzSourceDateEpoch(f *testing.F) {
	for _, s := range []string{"", "0", "315532800", "1700000000", "-1", "abc", " 7 ", "9223372036854775807"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := SourceDateEpoch(s)
		if err != nil {
			return
		}
		// Whatever parses must round-trip through a zip header without
		// failing and land inside the representable range.
		c := clamp(got)
		if c.Before(Epoch) || c.After(latest) {
			t.Fatalf("clamp(%v) = %v out of range", got, c)
		}
	})
}
