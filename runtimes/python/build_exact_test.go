package python

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lambdalens/lambdalens/runtimes"
	"github.com/lambdalens/lambdalens/runtimes/lambdatest"
)

// pip run by the target's Python on the wrong machine evaluates
// platform_machine for this machine: not exact for an arm64 target built
// on x86_64 (and the other way round).
func TestExactForComparesTheMachine(t *testing.T) {
	bin := t.TempDir()
	script := "#!/bin/sh\necho 'pip 24.0 from /fake/pip (python 3.11)'\n"
	if err := os.WriteFile(filepath.Join(bin, "python3.11"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	env := []string{"PATH=" + bin, installerEnv + "=pip"}
	other := map[string]string{"x86_64": "aarch64", "aarch64": "x86_64"}[hostMachine()]
	if other == "" {
		t.Skipf("no Lambda architecture other than this machine's %s", hostMachine())
	}
	tg := pyTarget{version: "3.11", wheelArch: other}
	in, err := (&Runtime{}).chooseInstaller(t.Context(), env, tg)
	if err != nil {
		t.Fatal(err)
	}
	if in.exactFor(tg) {
		t.Errorf("pip run on %s (markers %q) is exact for a %s target", hostMachine(), in.markers, other)
	}
	if !strings.Contains(in.key(), hostMachine()) {
		t.Errorf("key %q does not say on which machine pip evaluates markers", in.key())
	}
}

// markerBuildEnv is a build environment whose PATH holds only python3 (the
// host's): no uv, and no python<target>.
func markerBuildEnv(t *testing.T, extra ...string) []string {
	t.Helper()
	lambdatest.HostPython(t)
	// The interpreter itself, not a shim (pyenv's) that finds it.
	b, err := exec.Command("python3", "-c", "import sys; print(sys.executable)").Output()
	if err != nil {
		t.Fatal(err)
	}
	host := strings.TrimSpace(string(b))
	bin := t.TempDir()
	if err := os.Symlink(host, filepath.Join(bin, "python3")); err != nil {
		t.Fatal(err)
	}
	return append([]string{"PATH=" + bin}, extra...)
}

// Issue (review): building on Python 3.11 for 3.12 without uv or
// python3.12, pip shipped idna for `idna; python_version < "3.12"` and no
// six for `six; python_version >= "3.12"`, with only a warning. Now uv is
// installed and installs for the target; with pip forced, the marker
// fails the build.
func TestBuildMarkersForTheTarget(t *testing.T) {
	host := lambdatest.HostPython(t)
	lambdatest.RequirePyPI(t)
	target := "3.12"
	if host == target {
		target = "3.13"
	}
	root := t.TempDir()
	writeFiles(t, root, map[string]string{
		"requirements.txt": "six; python_version >= \"" + target + "\"\nidna; python_version < \"" + target + "\"\n",
		"api/index.py":     "app = None\n",
	})
	cache := filepath.Join(t.TempDir(), "cache")
	build := func(env []string) (string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		out := filepath.Join(t.TempDir(), "fn.func")
		_, err := (&Runtime{}).Build(ctx, runtimes.BuildRequest{Root: root, File: "api/index.py", OutDir: out,
			PythonVersion: target, CacheDir: cache, Env: env})
		return out, err
	}

	out, err := build(markerBuildEnv(t))
	if err != nil {
		t.Fatal(err)
	}
	vendor := filepath.Join(out, vendorDir)
	if _, err := os.Stat(filepath.Join(vendor, "six.py")); err != nil {
		t.Errorf("six (python_version >= %s) is not vendored: %v", target, err)
	}
	for _, p := range []string{"idna", "bin"} {
		if _, err := os.Stat(filepath.Join(vendor, p)); err == nil {
			t.Errorf("_vendor/%s is there: idna is for Python < %s only", p, target)
		}
	}

	_, err = build(markerBuildEnv(t, installerEnv+"=pip"))
	if !errors.Is(err, errMarkersNotForTarget) || !strings.Contains(err.Error(), "python_version") {
		t.Errorf("with pip forced: %v, want an error naming the marker", err)
	}
}

// Issue (review): pip on x86_64 evaluated platform_machine for x86_64 when
// building for arm64, silently.
func TestBuildMachineMarkerWithPip(t *testing.T) {
	host := lambdatest.HostPython(t)
	if hostMachine() != "x86_64" {
		t.Skip("needs an x86_64 machine")
	}
	root := t.TempDir()
	writeFiles(t, root, map[string]string{
		"requirements.txt": "six; platform_machine == \"aarch64\"\n",
		"api/index.py":     "app = None\n",
	})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	_, err := (&Runtime{}).Build(ctx, runtimes.BuildRequest{Root: root, File: "api/index.py", Arch: "arm64",
		OutDir: filepath.Join(t.TempDir(), "fn.func"), PythonVersion: host, CacheDir: t.TempDir(),
		Env: markerBuildEnv(t, installerEnv+"=pip")})
	if !errors.Is(err, errMarkersNotForTarget) || !strings.Contains(err.Error(), "platform_machine") {
		t.Errorf("got %v, want an error naming the platform_machine marker", err)
	}
}
