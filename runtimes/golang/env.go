package golang

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"
)

// Build flags. Dev builds use exactly the flags of the "floor" build the dev
// loop is measured against (CGO_ENABLED=0 -trimpath -ldflags "-s -w"), plus
// -buildvcs=false, which only removes work: stamping VCS information costs
// two git invocations per build and a dev binary has no use for it.
//
// Lambda builds add -buildid= so that the output depends on nothing but the
// sources, the toolchain and these settings; with -trimpath and a fixed
// environment two checkouts of the same source in different directories
// give byte-identical bootstraps.
var (
	devFlags    = []string{"-trimpath", "-buildvcs=false", "-ldflags=-s -w"}
	lambdaFlags = []string{"-trimpath", "-buildvcs=false", "-ldflags=-s -w -buildid="}
)

// droppedGoFlags are GOFLAGS entries that would fight with the flags above,
// change the kind of binary produced, or (for -modfile) point away from the
// go.mod we build against. Command-line flags win over GOFLAGS anyway; the
// list makes the result independent of the user's shell. -mod=mod is
// dropped too (see cleanGoFlags): it lets go build rewrite the user's go.mod
// and go.sum.
var droppedGoFlags = map[string]bool{
	"-ldflags": true, "-trimpath": true, "-overlay": true, "-o": true,
	"-buildvcs": true, "-race": true, "-msan": true, "-asan": true,
	"-cover": true, "-covermode": true, "-coverpkg": true,
	"-buildmode": true, "-linkshared": true, "-modfile": true,
}

// errToolexec is returned when GOFLAGS asks for -toolexec, which would let
// an arbitrary program rewrite the compiler's inputs and outputs.
var errToolexec = errors.New("GOFLAGS contains -toolexec, which lambdalens refuses: it makes builds neither reproducible nor safe")

// cleanGoFlags removes the entries of a GOFLAGS value listed in
// droppedGoFlags and rejects -toolexec. It also returns the -tags value, if
// any, so that file selection can honour it.
func cleanGoFlags(goflags string) (cleaned string, tags []string, err error) {
	var kept []string
	for _, f := range strings.Fields(goflags) {
		name, value, _ := strings.Cut(f, "=")
		if strings.HasPrefix(name, "--") {
			name = name[1:]
		}
		switch {
		case name == "-toolexec":
			return "", nil, errToolexec
		case droppedGoFlags[name], name == "-mod" && value == "mod":
			continue
		case name == "-tags":
			tags = strings.FieldsFunc(value, func(r rune) bool { return r == ',' || r == ' ' })
		}
		kept = append(kept, f)
	}
	return strings.Join(kept, " "), tags, nil
}

// settledGoFlags returns the GOFLAGS entry a build runs with, and the
// -tags it names. The go command takes an empty GOFLAGS from the go env -w
// file (goEnvFile), so the value is the environment's or else the file's,
// cleaned by cleanGoFlags; when nothing is left it is -buildvcs=false
// (which both flag sets pass anyway), never empty, so that the file cannot
// add what the cleaning removed.
func settledGoFlags(env []string) (entry string, tags []string, err error) {
	goflags, _ := envValue(env, "GOFLAGS")
	if goflags == "" {
		goflags = goEnvFileValue(goEnvFile(env), "GOFLAGS")
	}
	cleaned, tags, err := cleanGoFlags(goflags)
	if err != nil {
		return "", nil, err
	}
	if cleaned == "" {
		cleaned = "-buildvcs=false"
	}
	return "GOFLAGS=" + cleaned, tags, nil
}

// goEnvFileValue reads key from a go env -w file as the go command does
// (KEY=VALUE lines, nothing trimmed, the last wins); "" when the file or
// the key is missing.
func goEnvFileValue(file, key string) string {
	if file == "" {
		return ""
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return ""
	}
	value := ""
	for line := range strings.Lines(string(data)) {
		if k, v, ok := strings.Cut(strings.TrimSuffix(line, "\n"), "="); ok && k == key {
			value = v
		}
	}
	return value
}

// envValue returns the value of key in env (the last entry wins, as in
// os/exec).
func envValue(env []string, key string) (string, bool) {
	for i := len(env) - 1; i >= 0; i-- {
		if k, v, ok := strings.Cut(env[i], "="); ok && envKeyEqual(k, key) {
			return v, true
		}
	}
	return "", false
}

func envKeyEqual(a, b string) bool {
	if runtime.GOOS == "windows" {
		return strings.EqualFold(a, b)
	}
	return a == b
}

// mergeEnv returns base with the entries of each layer applied in order:
// later layers win. An entry "KEY" without "=" removes KEY. The order of
// the result is that of first appearance.
func mergeEnv(base []string, layers ...[]string) []string {
	out := slices.Clone(base)
	for _, layer := range layers {
		for _, kv := range layer {
			k, _, hasValue := strings.Cut(kv, "=")
			out = slices.DeleteFunc(out, func(e string) bool {
				ek, _, _ := strings.Cut(e, "=")
				return envKeyEqual(ek, k)
			})
			if hasValue {
				out = append(out, kv)
			}
		}
	}
	return out
}

// buildSettings is the environment and flags of one go build.
type buildSettings struct {
	env   []string
	flags []string
	tags  []string
	goos  string // "" for the host
	arch  string // GOARCH; "" for the host
}

// devSettings assembles the environment of dev builds: the process
// environment, then the GO*/CGO* entries of the child's environment (a
// GOPRIVATE in .env should reach the build), then CGO_ENABLED=0 and the
// cleaned GOFLAGS. GOOS and GOARCH are cleared: dev binaries are host
// binaries.
func devSettings(childEnv []string) (buildSettings, error) {
	var fromChild []string
	for _, kv := range childEnv {
		k, _, _ := strings.Cut(kv, "=")
		if (strings.HasPrefix(k, "GO") || strings.HasPrefix(k, "CGO_")) && k != "GOOS" && k != "GOARCH" {
			fromChild = append(fromChild, kv)
		}
	}
	env := mergeEnv(os.Environ(), fromChild)
	goflags, tags, err := settledGoFlags(env)
	if err != nil {
		return buildSettings{}, err
	}
	env = mergeEnv(env, []string{"CGO_ENABLED=0", goflags, "GOOS", "GOARCH"})
	return buildSettings{env: env, flags: devFlags, tags: tags}, nil
}

// hostExe reports whether the binary is a Windows host binary (which
// needs the .exe suffix to run).
func (s buildSettings) hostExe() bool { return s.goos == "" && runtime.GOOS == "windows" }

// outputAffectingEnv are variables that change what the toolchain produces
// for a given GOOS/GOARCH. Lambda builds start without them (and then set
// the defaults below) so that the user's shell cannot leak into artifacts.
var outputAffectingEnv = []string{
	"GOOS", "GOARCH", "GOAMD64", "GOARM64", "GOARM", "GO386", "GOEXPERIMENT",
	"GOFIPS140", "CGO_ENABLED", "CGO_CFLAGS", "CGO_LDFLAGS", "CC", "CXX",
	"GO_EXTLINK_ENABLED",
}

// lambdaSettings assembles the fixed environment of Lambda builds:
//
//  1. the process environment without outputAffectingEnv;
//  2. defaults: CGO_ENABLED=0, GOAMD64=v1, GOARM64=v8.0, GOFIPS140=off
//     (set, not just unset: the go command reads an unset or empty
//     variable from the go env -w file);
//  3. extra (BuildRequest.Env), which wins over the defaults;
//  4. always: GOOS=linux, GOARCH from the requested architecture and the
//     cleaned GOFLAGS (from extra when it sets one, else from the process).
func lambdaSettings(arch string, extra []string) (buildSettings, error) {
	goarch, err := goArch(arch)
	if err != nil {
		return buildSettings{}, err
	}
	var unset []string
	unset = append(unset, outputAffectingEnv...)
	env := mergeEnv(os.Environ(), unset)
	env = mergeEnv(env, []string{"CGO_ENABLED=0", "GOAMD64=v1", "GOARM64=v8.0", "GOFIPS140=off"}, extra)
	goflags, tags, err := settledGoFlags(env)
	if err != nil {
		return buildSettings{}, err
	}
	env = mergeEnv(env, []string{"GOOS=linux", "GOARCH=" + goarch, goflags})
	return buildSettings{env: env, flags: lambdaFlags, tags: tags, goos: "linux", arch: goarch}, nil
}

// goArch maps a Lambda architecture to GOARCH. The empty string is Vercel's
// default, x86_64.
func goArch(arch string) (string, error) {
	switch arch {
	case "", "x86_64", "amd64":
		return "amd64", nil
	case "arm64", "aarch64":
		return "arm64", nil
	}
	return "", fmt.Errorf("unsupported architecture %q: want x86_64 or arm64", arch)
}

// lambdaArch is the Artifact architecture for a request's Arch.
func lambdaArch(arch string) string {
	if g, _ := goArch(arch); g == "arm64" {
		return "arm64"
	}
	return "x86_64"
}

// cacheKeyEnv are the variables whose values CacheKey hashes: everything
// in the build environment that can change a Lambda build's output.
// GOTOOLCHAIN is covered by hashing the selected Go version.
var cacheKeyEnv = append([]string{"GOFLAGS", "GO111MODULE", "GOWORK", "GODEBUG"}, outputAffectingEnv...)
