package golang

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestCleanGoFlags(t *testing.T) {
	tests := []struct {
		in       string
		want     string
		wantTags []string
		wantErr  error
	}{
		{in: "", want: ""},
		{in: "-mod=mod -buildvcs=false", want: ""},
		{in: "-mod=vendor -modcacherw", want: "-mod=vendor -modcacherw"},
		{in: "-ldflags=-X=a -trimpath=false -race -tags=a,b -p=4", want: "-tags=a,b -p=4", wantTags: []string{"a", "b"}},
		{in: "--overlay=/x.json --modfile=alt.mod -gcflags=-N", want: "-gcflags=-N"},
		{in: "-mod=vendor -toolexec=/bin/true", wantErr: errToolexec},
		{in: "--toolexec=x", wantErr: errToolexec},
	}
	for _, tt := range tests {
		got, tags, err := cleanGoFlags(tt.in)
		if !errors.Is(err, tt.wantErr) {
			t.Errorf("cleanGoFlags(%q) error = %v, want %v", tt.in, err, tt.wantErr)
			continue
		}
		if got != tt.want || !slices.Equal(tags, tt.wantTags) {
			t.Errorf("cleanGoFlags(%q) = %q, %q; want %q, %q", tt.in, got, tags, tt.want, tt.wantTags)
		}
	}
}

func TestMergeEnv(t *testing.T) {
	got := mergeEnv([]string{"A=1", "B=2", "C=3"}, []string{"B=20", "D=4"}, []string{"A", "D=40"})
	want := []string{"C=3", "B=20", "D=40"}
	if !slices.Equal(got, want) {
		t.Errorf("mergeEnv = %q, want %q", got, want)
	}
}

func TestLambdaSettings(t *testing.T) {
	t.Setenv("GOAMD64", "v3")
	t.Setenv("GOFLAGS", "-race -mod=readonly")
	t.Setenv("CGO_ENABLED", "1")
	s, err := lambdaSettings("arm64", []string{"GOOS=darwin", "GOEXPERIMENT=foo"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"GOOS": "linux", "GOARCH": "arm64", "GOAMD64": "v1", "GOARM64": "v8.0",
		"CGO_ENABLED": "0", "GOFLAGS": "-mod=readonly", "GOEXPERIMENT": "foo",
	}
	for k, v := range want {
		if got, _ := envValue(s.env, k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	if !slices.Contains(s.flags, "-ldflags=-s -w -buildid=") || !slices.Contains(s.flags, "-trimpath") {
		t.Errorf("flags = %q", s.flags)
	}

	if _, err := lambdaSettings("x86_64", []string{"GOFLAGS=-toolexec=x"}); !errors.Is(err, errToolexec) {
		t.Errorf("toolexec in BuildRequest.Env: err = %v", err)
	}
}

func TestDevSettings(t *testing.T) {
	t.Setenv("GOOS", "windows")
	t.Setenv("CGO_ENABLED", "1")
	s, err := devSettings([]string{"GOPRIVATE=example.com", "GOARCH=arm", "OTHER=x"})
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{"GOOS": "", "CGO_ENABLED": "0", "GOPRIVATE": "example.com", "OTHER": ""} {
		if got, _ := envValue(s.env, k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	if _, ok := envValue(s.env, "GOARCH"); ok {
		t.Error("GOARCH leaked from the child's environment")
	}
	if !slices.Equal(s.flags, []string{"-trimpath", "-buildvcs=false", "-ldflags=-s -w"}) {
		t.Errorf("dev flags = %q", s.flags)
	}
}

func TestGoArch(t *testing.T) {
	for in, want := range map[string]string{"": "amd64", "x86_64": "amd64", "arm64": "arm64", "aarch64": "arm64"} {
		if got, err := goArch(in); err != nil || got != want {
			t.Errorf("goArch(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := goArch("s390x"); err == nil {
		t.Error("goArch(s390x) succeeded")
	}
	if lambdaArch("") != "x86_64" || lambdaArch("arm64") != "arm64" {
		t.Error("lambdaArch")
	}
}

// The go command reads an empty GOFLAGS (or GOFIPS140) from the go env -w
// file: builds must clean that value too and keep the file from adding
// what the cleaning removed.
func TestSettingsGoEnvFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "env")
	writeEnv := func(content string) {
		t.Helper()
		if err := os.WriteFile(file, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("GOENV", file)
	t.Setenv("GOFLAGS", "")

	writeEnv("GOFLAGS=-toolexec=/bin/echo\n")
	if _, err := lambdaSettings("x86_64", nil); !errors.Is(err, errToolexec) {
		t.Errorf("lambda build, -toolexec in the go env file: err = %v, want errToolexec", err)
	}
	if _, err := devSettings(nil); !errors.Is(err, errToolexec) {
		t.Errorf("dev build, -toolexec in the go env file: err = %v, want errToolexec", err)
	}

	writeEnv("GOFLAGS=-race -tags=prod\nGOFIPS140=latest\n")
	s, err := lambdaSettings("x86_64", nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := envValue(s.env, "GOFLAGS"); got != "-tags=prod" || !slices.Equal(s.tags, []string{"prod"}) {
		t.Errorf("GOFLAGS from the file: %q with tags %q, want -tags=prod", got, s.tags)
	}

	writeEnv("GOFLAGS=-race -cover\nGOFIPS140=latest\n")
	s, err = lambdaSettings("x86_64", nil)
	if err != nil {
		t.Fatal(err)
	}
	// What the go command makes of it, with the file in place.
	requireGo(t)
	cmd := exec.Command("go", "env", "GOFLAGS", "GOFIPS140")
	cmd.Env = s.env
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go env: %v", err)
	}
	if got := strings.Fields(string(out)); !slices.Equal(got, []string{"-buildvcs=false", "off"}) {
		t.Errorf("go env GOFLAGS GOFIPS140 in a Lambda build = %q, want [-buildvcs=false off]", got)
	}
}
