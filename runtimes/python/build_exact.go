package python

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"

	"github.com/lambdalens/lambdalens/runtimes"
	"github.com/lambdalens/lambdalens/runtimes/proc"
)

// Environment markers: pip evaluates python_version, sys_platform,
// platform_machine and the rest for the Python that runs it on this
// machine; --python-version and --platform only choose among wheels. A
// pip not run by the target's Python on Linux on the target's machine
// (installer.exactFor) may therefore install a set the target would not
// get: idna for `idna; python_version < "3.12"` when building on 3.11 for
// 3.12, nothing for `six; platform_machine == "aarch64"` when building on
// x86_64 for arm64. A build never ships such a set:
//
//   - unless pip is forced ($LAMBDALENS_PYTHON_INSTALLER=pip), the build
//     installs uv with that pip (into the dependency cache, as Vercel
//     installs uv when it is missing) and uv installs the dependencies,
//     evaluating markers for the target;
//   - when pip is forced, or uv cannot be installed, a declared
//     requirement with a marker fails the build; without one it goes on
//     with a warning (the dependencies' own markers are still evaluated
//     for this machine).

// hostUVVersion is the uv release installed when pip cannot install for
// the target (the one shipped for runtime installs).
const hostUVVersion = uvRuntimeVersion

// errMarkersNotForTarget is wrapped by the error of a build whose
// requirements have environment markers that its pip would evaluate for
// this machine rather than the target.
var errMarkersNotForTarget = fmt.Errorf("environment markers cannot be evaluated for the target")

// pipForced reports whether env forces pip.
func pipForced(env []string) bool { return getenv(env, installerEnv) == installerPip }

// bootstrapsUV reports whether a build with in for t installs uv to
// install with (see exactInstaller); CacheKey keys such builds as uv's.
func (in installer) bootstrapsUV(t pyTarget, env []string) bool {
	return !in.exactFor(t) && !pipForced(env)
}

// exactInstaller returns an installer that installs d for t exactly as
// the target would, or in when in already does (see the comment above).
// A pip that cannot is kept only when d declares no marker.
func (r *Runtime) exactInstaller(ctx context.Context, in installer, d *lambdaDeps, t pyTarget, env []string, cacheDir string, tools buildTools, log *slog.Logger) (installer, error) {
	if in.exactFor(t) {
		return in, nil
	}
	why := fmt.Sprintf("%s=pip", installerEnv)
	if in.bootstrapsUV(t, env) {
		uv, err := bootstrapUV(ctx, in, env, cacheDir, tools, log)
		if err == nil {
			return installer{name: installerUV, path: uv}, nil
		}
		why = fmt.Sprintf("uv could not be installed: %v", err)
	}
	marked, err := markedRequirements(d)
	if err != nil {
		return installer{}, err
	}
	if len(marked) > 0 {
		return installer{}, fmt.Errorf("%w: pip evaluates %q for the Python that runs it, %s, not for Lambda's %s on linux %s (%s); put uv or python%s with pip on PATH, or remove the marker",
			errMarkersNotForTarget, marked[0], in.markers, t.version, t.wheelArch, why, t.version)
	}
	log.Warn(fmt.Sprintf("pip evaluates environment markers for the Python that runs it, %s, not for Lambda's %s on linux %s (%s): dependencies that packages require only on some versions or machines may be missing or extra; put uv or python%s (with pip) on PATH for an exact install", in.markers, t.version, t.wheelArch, why, t.version))
	return in, nil
}

// bootstrapUV installs uv for this machine with in (a pip) into the
// dependency cache and returns its binary.
func bootstrapUV(ctx context.Context, in installer, env []string, cacheDir string, tools buildTools, log *slog.Logger) (string, error) {
	h := sha256.New()
	fmt.Fprintf(h, "%s\nhost uv %s\n%s\n%s\n%s\n", depsCacheFormat, hostUVVersion, runtime.GOOS, runtime.GOARCH, in.path)
	key := "hostuv-" + hex.EncodeToString(h.Sum(nil))[:32]
	op := fmt.Sprintf("installing uv %s with %s to install for the target", hostUVVersion, in.path)
	vendor, err := cachedVendor(ctx, cacheDir, key, log, func(ctx context.Context, target string) error {
		log.Info("installing uv: pip cannot evaluate environment markers for the target", "uv", hostUVVersion)
		cmd := exec.CommandContext(ctx, in.path, "-m", "pip", "install", "--disable-pip-version-check", "--no-input",
			"--no-compile", "--no-warn-script-location", "--only-binary=:all:", "--target", target, "uv=="+hostUVVersion)
		cmd.Env = env
		proc.Group(cmd, toolWaitDelay)
		out, err := tools.run(cmd)
		if err != nil {
			if ctxErr := ctx.Err(); ctxErr != nil {
				return fmt.Errorf("%s: %w", op, ctxErr)
			}
			return &runtimes.BuildError{Op: op, Output: strings.TrimSpace(string(out)), Err: err}
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	bin := filepath.Join(vendor, "bin", "uv")
	if runtime.GOOS == "windows" {
		bin += ".exe"
	}
	if _, err := os.Stat(bin); err != nil {
		return "", fmt.Errorf("%s: the uv package installed no bin/uv: %w", op, err)
	}
	return bin, nil
}

// markerRe matches a requirement's environment marker that depends on
// where it is evaluated ("extra" does not).
var markerRe = regexp.MustCompile(`;.*\b(python_version|python_full_version|sys_platform|platform_machine|platform_system|platform_release|platform_version|platform_python_implementation|implementation_name|implementation_version|os_name)\b`)

// markedRequirements returns d's declared requirements (and locked pins)
// that carry an environment marker.
func markedRequirements(d *lambdaDeps) ([]string, error) {
	lines := append([]string(nil), d.src.Reqs...)
	if d.src.ReqFile != "" {
		for _, f := range d.files {
			b, err := os.ReadFile(f)
			if err != nil {
				return nil, fmt.Errorf("reading %s: %w", f, err)
			}
			lines = append(lines, requirementTexts(b)...)
		}
	}
	if d.pylock != "" {
		reqs, _, err := d.pylockRequirements()
		if err != nil {
			return nil, err
		}
		lines = append(lines, reqs...)
	}
	if d.uvLock != "" {
		pins, _, err := d.uvLockPins()
		if err != nil {
			return nil, err
		}
		lines = append(lines, pins...)
	}
	var out []string
	for _, l := range lines {
		l = strings.TrimSpace(l)
		if i := strings.Index(l, " #"); i >= 0 {
			l = strings.TrimSpace(l[:i])
		}
		if !strings.HasPrefix(l, "#") && markerRe.MatchString(l) {
			out = append(out, l)
		}
	}
	return out, nil
}
