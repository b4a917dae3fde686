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
	got, err := pylockRequirements([]byte(lock), root)
	if err != nil {
		t.Fatal(err)
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
	} {
		if _, err := pylockRequirements([]byte(bad.lock), root); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("pylockRequirements(%q) = %v, want an error containing %q", bad.lock, err, bad.want)
		}
	}
}
