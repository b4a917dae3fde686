package lambdatest

import (
	"context"
	"encoding/binary"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestLambdaEnv(t *testing.T) {
	t.Setenv("LAMBDATEST_LEAK_CHECK", "must not leak")
	got := lambdaEnv("/fn", "/fn/bootstrap", map[string]string{"AWS_LAMBDA_FUNCTION_TIMEOUT": "3", "EXTRA": "x"})
	want := []string{
		"AWS_DEFAULT_REGION=us-east-1", "AWS_LAMBDA_FUNCTION_TIMEOUT=3", "AWS_REGION=us-east-1", "EXTRA=x",
		"LAMBDA_TASK_ROOT=/fn", "LANG=en_US.UTF-8", "PATH=/usr/bin:/bin", "TZ=:UTC", "_HANDLER=bootstrap",
	}
	if !slices.Equal(got, want) {
		t.Errorf("lambdaEnv\n got %q\nwant %q", got, want)
	}
}

func TestInvokeRefusesWhatLambdaWould(t *testing.T) {
	e := &Emulator{}
	tests := []struct {
		name  string
		event []byte
		want  string
	}{
		{"not JSON", []byte("hello"), "not valid JSON"},
		{"too large", []byte(`"` + strings.Repeat("x", MaxEventBytes) + `"`), "at most"},
	}
	for _, tt := range tests {
		if _, err := e.Invoke(context.Background(), tt.event); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want %q", tt.name, err, tt.want)
		}
	}
}

// writeELFHeader writes a minimal ELF64 header for machine.
func writeELFHeader(t *testing.T, path string, machine uint16) {
	t.Helper()
	h := make([]byte, 64)
	copy(h, "\x7fELF")
	h[4], h[5], h[6] = 2, 1, 1                     // 64-bit, little endian, version 1
	binary.LittleEndian.PutUint16(h[16:], 2)       // ET_EXEC
	binary.LittleEndian.PutUint16(h[18:], machine) // e_machine
	binary.LittleEndian.PutUint32(h[20:], 1)       // e_version
	binary.LittleEndian.PutUint16(h[52:], 64)      // e_ehsize
	binary.LittleEndian.PutUint16(h[54:], 56)      // e_phentsize
	binary.LittleEndian.PutUint16(h[58:], 64)      // e_shentsize
	if err := os.WriteFile(path, h, 0o755); err != nil {
		t.Fatal(err)
	}
}

func TestSkipForeignArch(t *testing.T) {
	if runtime.GOARCH != "amd64" && runtime.GOARCH != "arm64" {
		t.Skipf("no foreign-architecture fixture for %s", runtime.GOARCH)
	}
	dir := t.TempDir()
	native, foreign := uint16(62), uint16(183) // EM_X86_64, EM_AARCH64
	if runtime.GOARCH == "arm64" {
		native, foreign = foreign, native
	}
	writeELFHeader(t, filepath.Join(dir, "native"), native)
	writeELFHeader(t, filepath.Join(dir, "foreign"), foreign)
	if err := os.WriteFile(filepath.Join(dir, "script"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, wantSkip := range map[string]bool{"native": false, "foreign": true, "script": false, "missing": false} {
		var sub *testing.T
		t.Run(name, func(t *testing.T) {
			sub = t
			skipForeignArch(t, filepath.Join(dir, name))
		})
		if sub.Skipped() != wantSkip {
			t.Errorf("%s: skipped = %v, want %v", name, sub.Skipped(), wantSkip)
		}
	}
}

func TestLockFile(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("lock files are used on Linux only")
	}
	path := filepath.Join(t.TempDir(), ".lock")
	unlock, err := lockFile(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if _, err := lockFile(ctx, path); err == nil {
		t.Fatal("a second lock was granted while the first was held")
	}
	unlock()
	unlock2, err := lockFile(context.Background(), path)
	if err != nil {
		t.Fatalf("locking after unlock: %v", err)
	}
	unlock2()
}

func TestRIEIsCached(t *testing.T) {
	p := RIE(t)
	cache, err := os.UserCacheDir()
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(cache, "lambdalens", "rie", RIEVersion, "aws-lambda-rie"); p != want || !executable(p) {
		t.Errorf("RIE() = %q (executable %v), want %q", p, executable(p), want)
	}
	if again := RIE(t); again != p {
		t.Errorf("second RIE() = %q", again)
	}
}
