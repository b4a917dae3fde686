package python

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestPylockRequirements(t *testing.T) {
	root := filepath.FromSlash("/proj")
	lock := `lock-version = "1.0"
created-by = "pip"

[[packages]]
name = "six"
version = "1.16.0"
index = "https://pypi.org/simple"
wheels = [{ url = "https://files.pythonhosted.org/six-1.16.0-py2.py3-none-any.whl", hashes = { sha256 = "8abb" } }]

[[packages]]
name = "colorama"
version = "0.4.6"
marker = "sys_platform == \"win32\""

[[packages]]
name = "frozen"
directory = { path = "." }

[[packages]]
name = "helper"
directory = { path = "libs/helper" }

[[packages]]
name = "tool"
vcs = { type = "git", url = "https://example.com/tool.git", commit-id = "abc123" }

[[packages]]
name = "blob"
archive = { url = "https://example.com/blob-1.0.tar.gz", hashes = { sha256 = "ff" } }
`
	got, hashed, err := pylockRequirements([]byte(lock), root)
	if err != nil {
		t.Fatal(err)
	}
	// A VCS checkout and a directory have no hashes: nothing is checked
	// (pip and uv check every requirement or none).
	if hashed {
		t.Error("a lock with a VCS package is installed with hash checks")
	}
	want := []string{
		"six==1.16.0",
		`colorama==0.4.6 ; sys_platform == "win32"`,
		"helper @ file:///proj/libs/helper",
		"tool @ git+https://example.com/tool.git@abc123",
		"blob @ https://example.com/blob-1.0.tar.gz",
	}
	if !slices.Equal(got, want) {
		t.Errorf("requirements:\n got %q\nwant %q", got, want)
	}
	for _, bad := range []struct{ lock, want string }{
		{"lock-version = \"2.0\"\n", `lock-version "2.0" is not supported`},
		{"lock-version = \"1.0\"\n[[packages]]\nname = \"x\"\n", "package x has neither a version nor a source"},
		{"lock-version = \"1.0\"\n[[packages]]\nversion = \"1\"\n", "packages[0] has no name"},
		{"lock-version = [\n", "reading pylock.toml"},
		{"lock-version = \"1.0\"\n[[packages]]\nname = \" \"\nversion = \"1\"\n", `the name " ", which is not a package name`},
		{"lock-version = \"1.0\"\n[[packages]]\nname = \"t\"\nvcs = { type = \"git\", commit-id = \"c\" }\n", "package t: its vcs source lacks a type, a url or path, or a commit-id"},
		{"lock-version = \"1.0\"\n[[packages]]\nname = \"a\"\narchive = { hashes = { sha256 = \"ff\" } }\n", "package a: its archive source lacks a url or path"},
	} {
		if _, _, err := pylockRequirements([]byte(bad.lock), root); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("pylockRequirements(%q) = %v, want an error containing %q", bad.lock, err, bad.want)
		}
	}
}

func TestPylockRequirementsHashes(t *testing.T) {
	lock := `lock-version = "1.0"

[[packages]]
name = "frozen"
directory = { path = "." }

[[packages]]
name = "six"
version = "1.16.0"
sdist = { url = "https://files.example/six-1.16.0.tar.gz", hashes = { sha256 = "aa" } }
wheels = [
  { url = "https://files.example/six-1.16.0-py2.py3-none-any.whl", hashes = { sha256 = "bb", md5 = "ignored" } },
  { url = "https://files.example/six-1.16.0-py3-none-any.whl", hashes = { sha512 = "cc" } },
]

[[packages]]
name = "blob"
marker = "python_version >= '3.9'"
archive = { url = "https://example.com/blob-1.0.tar.gz", hashes = { sha256 = "dd" } }
`
	got, hashed, err := pylockRequirements([]byte(lock), "/proj")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"six==1.16.0 --hash=sha256:bb --hash=sha512:cc --hash=sha256:aa",
		"blob @ https://example.com/blob-1.0.tar.gz ; python_version >= '3.9' --hash=sha256:dd",
	}
	if !hashed || !slices.Equal(got, want) {
		t.Errorf("requirements (hashed %t):\n got %q\nwant %q", hashed, got, want)
	}
	// One file without a hash the installers know leaves the whole lock
	// unchecked rather than failing the install.
	partial := strings.Replace(lock, `hashes = { sha512 = "cc" }`, `hashes = { md5 = "cc" }`, 1)
	got, hashed, err = pylockRequirements([]byte(partial), "/proj")
	if err != nil || hashed || strings.Contains(strings.Join(got, "\n"), "--hash") {
		t.Errorf("with an md5-only wheel: %q, hashed %t, %v; want no --hash options", got, hashed, err)
	}
}

// FuzzPylockRequirements: any pylock.toml gives requirement lines or an
// error, never a panic; hashed lines all carry --hash options and name the
// package first.
func FuzzPylockRequirements(f *testing.F) {
	f.Add("lock-version = \"1.0\"\n[[packages]]\nname = \"six\"\nversion = \"1.16.0\"\nwheels = [{ url = \"u\", hashes = { sha256 = \"aa\" } }]\n")
	f.Add("lock-version = \"1.0\"\n[[packages]]\nname = \"t\"\nvcs = { type = \"git\", url = \"https://x/t.git\", commit-id = \"c\" }\nmarker = \"python_version >= '3'\"\n")
	f.Add("lock-version = \"1.0\"\n[[packages]]\nname = \"b\"\narchive = { path = \"b.tar.gz\", hashes = { sha512 = \"ff\" } }\n")
	f.Fuzz(func(t *testing.T, lock string) {
		reqs, hashed, err := pylockRequirements([]byte(lock), "/proj")
		if err != nil {
			if !strings.Contains(err.Error(), "pylock.toml") {
				t.Errorf("error %q does not name pylock.toml", err)
			}
			return
		}
		for _, r := range reqs {
			if hashed != strings.Contains(r, " --hash=") {
				t.Errorf("hashed %t but line %q", hashed, r)
			}
			if r == "" || strings.HasPrefix(r, " ") {
				t.Errorf("line %q does not start with a package name", r)
			}
		}
	})
}
