package fileutil

import "testing"

func TestRules(t *testing.T) {
	ig := NewRules(VercelDefaults, []byte("# comment\n/dist\nbuild/\n*.log\n!keep.log\ndocs/**/*.md\n"))
	tests := []struct {
		path string
		dir  bool
		want bool
	}{
		{".git", true, true},
		{"node_modules", true, true},
		{"api/node_modules", true, true},
		{"api/__pycache__", true, true},
		{".env.local", false, true},
		{".env", false, false},
		{"dist", true, true},
		{"api/dist", true, false},
		{"build", true, true},
		{"build", false, false},
		{"api/build/x.go", false, true},
		{"x.log", false, true},
		{"a/b/c.log", false, true},
		{"keep.log", false, false},
		{"docs/a/b.md", false, true},
		{"docs/a/b.txt", false, false},
		{"api/hello.go", false, false},
	}
	for _, tt := range tests {
		if got := ig.Ignored(tt.path, tt.dir); got != tt.want {
			t.Errorf("Ignored(%q, dir=%v) = %v, want %v", tt.path, tt.dir, got, tt.want)
		}
	}
}
