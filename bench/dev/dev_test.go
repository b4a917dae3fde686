package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestNewFloor(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"go.mod":                "module example.com/m\n\ngo 1.26\n",
		"api/users/[id].go":     "package users\n",
		"api/users/[...all].go": "package users\n",
		"api/users/helper.go":   "package users\n",
	}
	for name, data := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	fl, err := newFloor(dir, "api/users/[id].go", "Handler", "/x?id=1", filepath.Join(dir, "bin"))
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(dir, "api", "users", "floor__id_.go"); fl.editFile != want {
		t.Errorf("editFile = %s, want %s", fl.editFile, want)
	}
	entries, err := os.ReadDir(filepath.Join(dir, "api", "users"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if want := []string{"floor_____all_.go", "floor__id_.go", "helper.go"}; !slices.Equal(names, want) {
		t.Errorf("folder holds %v, want %v", names, want)
	}
	main, err := os.ReadFile(filepath.Join(dir, "lambdalensbenchfloor", "main.go"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`handler "example.com/m/api/users"`, "handler.Handler)"} {
		if !strings.Contains(string(main), want) {
			t.Errorf("the floor's main lacks %q:\n%s", want, main)
		}
	}

	if _, err := newFloor(dir, "api/[group]/x.go", "Handler", "/", filepath.Join(dir, "bin")); err == nil {
		t.Error("newFloor accepted a handler in a folder the go command cannot import")
	}
}
