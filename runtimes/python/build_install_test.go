package python

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/lambdalens/lambdalens/runtimes/lambdatest"
)

// pip evaluates environment markers for the Python that runs it, so a
// python<target> on PATH runs it when there is one; otherwise the base
// interpreter does, and the install is not exact for the target.
func TestChooseInstallerForTheTarget(t *testing.T) {
	lambdatest.HostPython(t) // skips without python3
	host, err := exec.LookPath("python3")
	if err != nil {
		t.Fatal(err)
	}
	bin := t.TempDir()
	// A python3.9 whose pip answers --version (the only call made).
	script := "#!/bin/sh\necho 'pip 24.0 from /fake/pip (python 3.9)'\n"
	if err := os.WriteFile(filepath.Join(bin, "python3.9"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	env := []string{"PATH=" + bin, installerEnv + "=pip"}
	r := &Runtime{Python: host}
	in, err := r.chooseInstaller(t.Context(), env, pyTarget{version: "3.9"})
	if err != nil {
		t.Fatal(err)
	}
	if in.path != filepath.Join(bin, "python3.9") || !in.exactFor(pyTarget{version: "3.9", wheelArch: hostMachine()}) && runtime.GOOS == "linux" {
		t.Errorf("target 3.9 with python3.9 on PATH: %+v, want pip run by it", in)
	}
	in, err = r.chooseInstaller(t.Context(), env, pyTarget{version: "3.13"})
	if err != nil {
		t.Fatal(err)
	}
	if in.path == filepath.Join(bin, "python3.9") || in.markers == "" {
		t.Errorf("target 3.13 without python3.13: %+v, want the base interpreter", in)
	}
	hostVersion, err := pythonVersion(t.Context(), host)
	if err != nil {
		t.Fatal(err)
	}
	if exact := in.exactFor(pyTarget{version: "3.13", wheelArch: hostMachine()}); exact != (hostVersion == "3.13" && runtime.GOOS == "linux") {
		t.Errorf("exactFor(3.13) = %v with pip run by Python %s", exact, hostVersion)
	}
	if in.key() == installerPip || !strings.Contains(in.key(), hostVersion) {
		t.Errorf("key %q does not say which Python evaluates the markers", in.key())
	}
}

// TestPlanInstallAddsTheLocksIndexes: with pip, a uv.lock pin from an
// index other than PyPI comes with that index.
func TestPlanInstallAddsTheLocksIndexes(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, map[string]string{
		"pyproject.toml": "[project]\nname = \"app\"\nversion = \"0.1.0\"\ndependencies = [\"torch\"]\n",
		"uv.lock":        "version = 1\n\n[[package]]\nname = \"torch\"\nversion = \"2.5.1+cpu\"\nsource = { registry = \"https://download.pytorch.org/whl/cpu\" }\n",
	})
	d, err := findLambdaDeps(root, ".")
	if err != nil || d == nil {
		t.Fatalf("findLambdaDeps: %+v, %v", d, err)
	}
	plan, err := planInstall(t.Context(), root, d, pyTarget{version: "3.12", wheelArch: "x86_64", glibcMinor: 34},
		installer{name: installerPip, path: "python3"}, t.TempDir(), t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	args := strings.Join(plan.cmds[len(plan.cmds)-1].Args, " ")
	if !strings.Contains(args, "--extra-index-url https://download.pytorch.org/whl/cpu") {
		t.Errorf("pip command %q lacks the lock's index", args)
	}
}
