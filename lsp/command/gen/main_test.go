package main

import (
	"bytes"
	"os"
	"testing"
)

// TestGenerated fails when command_gen.go or lsp/commands.json does not
// match what the generator makes of interface.go: run
// `go generate ./lsp/command`.
func TestGenerated(t *testing.T) {
	files, err := generate("..")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 2 {
		t.Fatalf("generated %d files, want 2", len(files))
	}
	for name, want := range files {
		got, err := os.ReadFile(name)
		if err != nil {
			t.Fatalf("%v (run go generate ./lsp/command)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s is stale: run go generate ./lsp/command", name)
		}
	}
}

func TestCommandID(t *testing.T) {
	for _, tc := range []struct{ method, want string }{
		{"DevStart", "lambdalens.dev.start"},
		{"BuildCancel", "lambdalens.build.cancel"},
		{"Inspect", "lambdalens.inspect"},
	} {
		if got := commandID(tc.method); got != tc.want {
			t.Errorf("commandID(%q) = %q, want %q", tc.method, got, tc.want)
		}
	}
}
