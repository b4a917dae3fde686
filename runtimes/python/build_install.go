package python

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"

	"github.com/lambdalens/lambdalens/runtimes"
	"github.com/lambdalens/lambdalens/runtimes/proc"
)

// pyTarget is the Lambda a build is for.
type pyTarget struct {
	// version is the Python major.minor ("3.12").
	version string
	// lambdaArch is the .vc-config.json architecture: "x86_64" or "arm64".
	lambdaArch string
	// wheelArch is the machine in wheel platform tags: "x86_64" or
	// "aarch64".
	wheelArch string
	// glibcMinor is the newest manylinux_2_X the runtime's OS can load:
	// python3.9 to 3.11 run on Amazon Linux 2 (glibc 2.26), python3.12 and
	// later on Amazon Linux 2023 (glibc 2.34).
	glibcMinor int
}

// Python versions with a managed Lambda runtime, and the default (Vercel's).
const (
	minLambdaPythonMinor      = 9
	maxLambdaPythonMinor      = 14
	defaultLambdaPython       = "3.12"
	firstAL2023PythonMinor    = 12
	al2GlibcMinor             = 26
	al2023GlibcMinor          = 34
	uvAL2PlatformGlibcMinor   = 17 // uv offers manylinux_2_17 and 2_28+, none in between
	manylinuxOldestGlibcMinor = 17
)

// lambdaTarget validates and normalises a BuildRequest's Python version
// ("3.12", "3.12.4"; empty means 3.12) and architecture ("x86_64" or
// "arm64"; empty means x86_64; "amd64" and "aarch64" are accepted).
func lambdaTarget(version, arch string) (pyTarget, error) {
	t := pyTarget{version: defaultLambdaPython}
	if version != "" {
		parts := strings.Split(version, ".")
		major, err1 := strconv.Atoi(parts[0])
		minor := -1
		var err2 error
		if len(parts) > 1 {
			minor, err2 = strconv.Atoi(parts[1])
		}
		if err1 != nil || err2 != nil || len(parts) < 2 || len(parts) > 3 {
			return pyTarget{}, fmt.Errorf("python version %q: want major.minor such as %q", version, defaultLambdaPython)
		}
		if major != 3 || minor < minLambdaPythonMinor || minor > maxLambdaPythonMinor {
			return pyTarget{}, fmt.Errorf("python %d.%d has no AWS Lambda runtime: use 3.%d to 3.%d", major, minor, minLambdaPythonMinor, maxLambdaPythonMinor)
		}
		t.version = fmt.Sprintf("3.%d", minor)
	}
	switch arch {
	case "", "x86_64", "amd64":
		t.lambdaArch, t.wheelArch = "x86_64", "x86_64"
	case "arm64", "aarch64":
		t.lambdaArch, t.wheelArch = "arm64", "aarch64"
	default:
		return pyTarget{}, fmt.Errorf("architecture %q: want x86_64 or arm64", arch)
	}
	t.glibcMinor = al2GlibcMinor
	if minor, _ := strconv.Atoi(strings.TrimPrefix(t.version, "3.")); minor >= firstAL2023PythonMinor {
		t.glibcMinor = al2023GlibcMinor
	}
	return t, nil
}

// runtime is the Lambda runtime name: "python3.12".
func (t pyTarget) runtime() string { return "python" + t.version }

// platformTag is the newest manylinux tag the target accepts, for
// messages and cache keys.
func (t pyTarget) platformTag() string {
	return fmt.Sprintf("manylinux_2_%d_%s", t.glibcMinor, t.wheelArch)
}

// String describes the target in messages: "CPython 3.12 on
// manylinux_2_34_aarch64 (Lambda arm64)".
func (t pyTarget) String() string {
	return fmt.Sprintf("CPython %s on %s (Lambda %s)", t.version, t.platformTag(), t.lambdaArch)
}

// pipPlatforms are pip's --platform values: every manylinux tag the
// target's glibc can load (pip does not widen manylinux_2_X by itself;
// it does widen manylinux2014 to manylinux2010 and manylinux1).
func (t pyTarget) pipPlatforms() []string {
	out := []string{"manylinux2014_" + t.wheelArch}
	for m := manylinuxOldestGlibcMinor; m <= t.glibcMinor; m++ {
		out = append(out, fmt.Sprintf("manylinux_2_%d_%s", m, t.wheelArch))
	}
	return out
}

// uvPlatform is uv's --python-platform value.
func (t pyTarget) uvPlatform() string {
	m := t.glibcMinor
	if m < 28 {
		m = uvAL2PlatformGlibcMinor
	}
	return fmt.Sprintf("%s-manylinux_2_%d", t.wheelArch, m)
}

// Installers.
const (
	installerUV  = "uv"
	installerPip = "pip"
	// installerEnv forces an installer ("uv" or "pip") in the build
	// environment; by default uv is used when it is on PATH.
	installerEnv = "LAMBDALENS_PYTHON_INSTALLER"
)

// installer is a chosen dependency installer.
type installer struct {
	name string // installerUV or installerPip
	// path is uv, or the Python interpreter that runs pip.
	path string
	// markers, for pip, is where environment markers (python_version,
	// sys_platform, platform_machine) are evaluated: the Python that runs
	// pip, on this machine ("3.11 on darwin arm64"). uv evaluates them
	// for the target.
	markers string
}

// key returns the installer and, for pip, where it evaluates markers:
// both decide what gets installed, so both are part of the cache key.
func (in installer) key() string {
	if in.markers == "" {
		return in.name
	}
	return in.name + " (markers: " + in.markers + ")"
}

// exactFor reports whether the installer chooses packages exactly as the
// target would: uv always; pip only when run by the target's Python
// version on Linux on the target's machine (--python-version and
// --platform select wheels, not the markers pip evaluates).
func (in installer) exactFor(t pyTarget) bool {
	return in.name == installerUV || in.markers == pipMarkers(t.version, "linux", t.wheelArch)
}

// pipMarkers is installer.markers: "3.12 on linux x86_64".
func pipMarkers(version, goos, machine string) string {
	return version + " on " + goos + " " + machine
}

// hostMachine is this machine as platform_machine names it on Linux
// ("x86_64", "aarch64"), or GOARCH.
func hostMachine() string {
	switch runtime.GOARCH {
	case "amd64":
		return "x86_64"
	case "arm64":
		return "aarch64"
	}
	return runtime.GOARCH
}

// chooseInstaller picks uv when it is on PATH and pip otherwise;
// $LAMBDALENS_PYTHON_INSTALLER forces one. pip is run by python<version
// of t> when that is on PATH with pip (pip evaluates markers for the
// Python that runs it), else by the base interpreter (see Runtime.Python).
func (r *Runtime) chooseInstaller(ctx context.Context, env []string, t pyTarget) (installer, error) {
	uv, err := uvFor(env)
	if err != nil {
		return installer{}, err
	}
	if uv != "" {
		return installer{name: installerUV, path: uv}, nil
	}
	if py, err := lookPath("python"+t.version, getenv(env, "PATH")); err == nil && hasPip(ctx, py, env) {
		return installer{name: installerPip, path: py, markers: pipMarkers(t.version, runtime.GOOS, hostMachine())}, nil
	}
	base, err := r.baseInterp(ctx, env)
	if err != nil {
		return installer{}, fmt.Errorf("finding an installer (uv is not on PATH, and pip needs a Python): %w", err)
	}
	return installer{name: installerPip, path: base.Path, markers: pipMarkers(base.Version, runtime.GOOS, hostMachine())}, nil
}

// uvFor returns the uv to install with: the one on PATH unless
// $LAMBDALENS_PYTHON_INSTALLER is pip ("" then: use pip), an error when it
// is uv and there is none.
func uvFor(env []string) (string, error) {
	want := getenv(env, installerEnv)
	switch want {
	case "", installerUV, installerPip:
	default:
		return "", fmt.Errorf("%s=%q: want uv or pip", installerEnv, want)
	}
	if want == installerPip {
		return "", nil
	}
	uv, err := lookPath("uv", getenv(env, "PATH"))
	if err != nil && want == installerUV {
		return "", fmt.Errorf("%s=uv but uv is not on PATH: %w", installerEnv, err)
	}
	return uv, nil
}

// installPlan is the commands that install a project's dependencies.
type installPlan struct {
	cmds []*exec.Cmd
	// files are written before the commands run: generated requirement
	// and constraint files, by path.
	files map[string][]byte
	// unhashed is set when a pylock.toml is installed without hash
	// checks (it locks a VCS checkout or a directory, which have none).
	unhashed bool
}

// planInstall returns the commands that install d into target (a
// directory that will become _vendor) for t. scratch is a directory for
// generated files. Every command runs with env in the directory of d's
// declaration (the project root when d has none), where pip and uv
// resolve the local paths of requirements and uv export finds uv.lock.
func planInstall(ctx context.Context, root string, d *lambdaDeps, t pyTarget, in installer, target, scratch string, env []string) (installPlan, error) {
	plan := installPlan{files: map[string][]byte{}}
	dir := cmp.Or(d.src.Dir, root)
	command := func(name string, args ...string) *exec.Cmd {
		cmd := exec.CommandContext(ctx, name, args...)
		cmd.Dir = dir
		cmd.Env = env
		proc.Group(cmd, toolWaitDelay)
		plan.cmds = append(plan.cmds, cmd)
		return cmd
	}
	reqFile := d.src.ReqFile
	localLines := d.src.Reqs // the requirements that may name local trees
	if reqFile == "" {
		reqFile = filepath.Join(scratch, "requirements.txt")
		plan.files[reqFile] = []byte(strings.Join(d.src.Reqs, "\n") + "\n")
	} else {
		// Editable lines become regular ones, in copies.
		top, files, err := editableReqFiles(reqFile, scratch)
		if err != nil {
			return installPlan{}, err
		}
		reqFile = top
		maps.Copy(plan.files, files)
		for _, f := range d.files {
			b, err := os.ReadFile(f)
			if err != nil {
				return installPlan{}, fmt.Errorf("reading %s: %w", f, err)
			}
			localLines = append(localLines, requirementTexts(b)...)
		}
	}
	var constraints string
	var extraIndexes []string // the lock's package indexes besides PyPI
	frozen := false
	if d.pylock != "" {
		reqs, hashed, err := d.pylockRequirements()
		if err != nil {
			return installPlan{}, err
		}
		plan.unhashed = !hashed
		delete(plan.files, filepath.Join(scratch, "requirements.txt"))
		reqFile = filepath.Join(scratch, "pylock-requirements.txt")
		plan.files[reqFile] = []byte(strings.Join(reqs, "\n") + "\n")
		frozen = true
		localLines = reqs
	}

	if in.name == installerUV {
		args := []string{"pip", "install", "--target", target,
			"--python-platform", t.uvPlatform(), "--python-version", t.version,
			"--only-binary", ":all:", "--no-progress"}
		var local []string // local trees, which uv may build
		if d.uvLock != "" {
			// Exactly the locked set, markers evaluated for the target by
			// the install; the project itself is not a dependency.
			reqFile = filepath.Join(scratch, "uv-export.txt")
			delete(plan.files, filepath.Join(scratch, "requirements.txt"))
			command(in.path, "export", "--frozen", "--no-dev", "--no-emit-project", "--no-editable",
				"--no-header", "--format", "requirements.txt", "--output-file", reqFile, "--quiet")
			args = append(args, "--no-deps")
			b, err := os.ReadFile(d.uvLock)
			if err != nil {
				return installPlan{}, fmt.Errorf("reading uv.lock: %w", err)
			}
			if local, err = uvLockLocalNames(b); err != nil {
				return installPlan{}, err
			}
			// The export names no index: the lock's other than PyPI come
			// along. Every line is pinned and hashed, so taking each
			// package from whichever index has it (pip's way) installs
			// exactly the locked files.
			_, indexes, err := d.uvLockPins()
			if err != nil {
				return installPlan{}, err
			}
			if len(indexes) > 0 {
				args = append(append(args, indexArgs(indexes)...), "--index-strategy", "unsafe-best-match")
			}
		} else {
			var err error
			if local, err = localProjectNames(localLines, dir); err != nil {
				return installPlan{}, err
			}
		}
		for _, name := range local {
			args = append(args, "--no-binary", name)
		}
		if frozen {
			args = append(args, "--no-deps")
		}
		command(in.path, append(args, "-r", reqFile)...)
		return plan, nil
	}

	if d.uvLock != "" {
		pins, indexes, err := d.uvLockPins()
		if err != nil {
			return installPlan{}, err
		}
		constraints = filepath.Join(scratch, "uv-lock-constraints.txt")
		plan.files[constraints] = []byte(strings.Join(pins, "\n") + "\n")
		extraIndexes = indexArgs(indexes)
	}
	args := []string{"-m", "pip", "install", "--disable-pip-version-check", "--no-input",
		"--no-compile", "--no-warn-script-location", "--no-warn-conflicts",
		"--target", target, "--implementation", "cp", "--python-version", t.version,
		"--only-binary=:all:"}
	for _, p := range t.pipPlatforms() {
		args = append(args, "--platform", p)
	}
	if frozen {
		args = append(args, "--no-deps")
	}
	args = append(args, "-r", reqFile)
	if constraints != "" {
		args = append(args, "-c", constraints)
	}
	args = append(args, extraIndexes...)
	command(in.path, args...)
	return plan, nil
}

// installEnv is the environment of installer commands: the process's,
// then the request's, with the settings that would make pip install
// somewhere else or refuse to run turned off.
func installEnv(reqEnv []string) []string {
	env := append(os.Environ(), reqEnv...)
	env = setenv(env, "PIP_USER", "0")
	env = setenv(env, "PIP_REQUIRE_VIRTUALENV", "0")
	env = slices.DeleteFunc(env, func(kv string) bool {
		k, _, _ := strings.Cut(kv, "=")
		return k == "PIP_PREFIX" || k == "PIP_ROOT" // conflict with --target
	})
	env = setenv(env, "PYTHONDONTWRITEBYTECODE", "1")
	return env
}

// runInstall writes the plan's files and runs its commands with run. A
// failure is a *runtimes.BuildError with the installer's output; when the
// output shows a package without a wheel for the target, the error says
// which package and which target.
func runInstall(ctx context.Context, plan installPlan, run func(*exec.Cmd) ([]byte, error), op string, t pyTarget, log *slog.Logger) error {
	for p, b := range plan.files {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return fmt.Errorf("%s: %w", op, err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			return fmt.Errorf("%s: %w", op, err)
		}
	}
	if plan.unhashed {
		log.Warn("installing pylock.toml without hash checks: a package in it has no hashes (a VCS checkout, a directory, or a lock written without them)")
	}
	for _, cmd := range plan.cmds {
		log.Debug("running installer", "cmd", cmd.Args)
		out, err := run(cmd)
		if err == nil {
			continue
		}
		if ctxErr := ctx.Err(); ctxErr != nil {
			return fmt.Errorf("%s: %w", op, ctxErr)
		}
		output := strings.TrimSpace(string(out))
		if pkg := notInIndex(output); pkg != "" {
			err = fmt.Errorf("%w: %s was not found in the package index (check the name and the version; a package from another index needs that index configured, in uv.lock or with --extra-index-url)", errNotInIndex, pkg)
		} else if pkg := missingWheel(output); pkg != "" {
			err = fmt.Errorf("%w: no wheel of %s for %s; lambdalens installs only binary wheels for the Lambda platform (a package that publishes only a source distribution cannot be installed)", errNoWheel, pkg, t)
		}
		return &runtimes.BuildError{Op: op, Output: output, Err: err}
	}
	return nil
}

// errNoWheel is wrapped by the error of an install that found no wheel of
// a package for the target.
var errNoWheel = errors.New("missing wheel")

// errNotInIndex is wrapped by the error of an install that found no such
// package, or no such version, in the package index.
var errNotInIndex = errors.New("package not found")

// uv: "Because bar was not found in the package registry", "Because
// there is no version of baz==9". pip says "No matching distribution"
// for a missing package and a missing wheel alike.
var uvNotFoundRe = regexp.MustCompile(`Because (?:([A-Za-z0-9][A-Za-z0-9._\-\[\],]*(?:[=<>!~]=?[^\s,]+)?) was not found in the package registry|there is no version of ([^\s,]+))`)

// notInIndex returns the requirement that uv's output says is not in the
// package index at all, or "".
func notInIndex(output string) string {
	if m := uvNotFoundRe.FindStringSubmatch(output); m != nil {
		return strings.Trim(m[1]+m[2], "`'\".,")
	}
	return ""
}

var (
	// pip: "ERROR: No matching distribution found for docopt==0.6.2".
	pipNoDistRe = regexp.MustCompile(`No matching distribution found for ([^\s;]+)`)
	// uv: "Because docopt==0.6.2 has no usable wheels", "Because foo has
	// no wheels with a matching platform tag", "Because bar was not found
	// in the package registry", "Because there is no version of baz==9".
	uvNoWheelRe   = regexp.MustCompile(`Because (?:only )?([A-Za-z0-9][A-Za-z0-9._\-\[\],]*(?:[=<>!~]=?[^\s,]+)?) (?:has no (?:usable )?wheels|has no wheels with a matching|was not found in the package registry|has no versions? )`)
	uvNoVersionRe = regexp.MustCompile(`Because there is no version of ([^\s,]+)`)
)

// missingWheel returns the requirement that pip's or uv's output says has
// no installable distribution for the target, or "".
func missingWheel(output string) string {
	for _, re := range []*regexp.Regexp{pipNoDistRe, uvNoWheelRe, uvNoVersionRe} {
		if m := re.FindStringSubmatch(output); m != nil {
			return strings.Trim(m[1], "`'\".,")
		}
	}
	return ""
}
