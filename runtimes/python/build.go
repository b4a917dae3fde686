package python

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/lambdalens/lambdalens/runtimes"
)

// buildTools are a build's effects on the world that tests replace.
type buildTools struct {
	// run runs an installer command and returns its combined output.
	run func(cmd *exec.Cmd) ([]byte, error)
	// sizeLimit is the largest unzipped .func allowed, in bytes.
	sizeLimit int64
	// runtimeInstallAbove is the size above which a function with a
	// uv.lock installs part of its dependencies at cold start.
	runtimeInstallAbove int64
}

func defaultBuildTools() buildTools {
	return buildTools{
		run:                 func(cmd *exec.Cmd) ([]byte, error) { return cmd.CombinedOutput() },
		sizeLimit:           lambdaSizeLimit,
		runtimeInstallAbove: lambdaSizeLimit,
	}
}

// Build writes a python3.X Lambda for one entrypoint (an api/ function or
// a root framework app) into req.OutDir:
//
//   - the project's files, minus the Python builder's excludes (.git,
//     .vercel, node_modules, .venv, venv, __pycache__, public, lock files of
//     JavaScript package managers, ...), Vercel's default ignore list (files
//     the CLI never uploads: .env.local, .env.*.local, .cache, .DS_Store,
//     .hg, .svn, ...), .vercelignore and the vercel.json excludeFiles globs (relative to the project root). includeFiles has
//     nothing to add: every other file is included already;
//   - _vendor/: the dependencies of pyproject.toml [project.dependencies]
//     (frozen to uv.lock, else pylock.toml, when there is one), Pipfile.lock, Pipfile or
//     a requirements file (requirements.txt, requirements.in, ...; see
//     findDeps), the nearest from the entrypoint's folder up to the root
//     (api/requirements.txt for api/index.py), installed as binary wheels for Linux on the target
//     architecture and Python version (not for the machine building), with
//     uv when it is on PATH and pip otherwise; a pip that would evaluate
//     environment markers for this machine instead of the target installs
//     uv first (see exactInstaller). Local source trees are installed
//     non-editable (-e lines are rewritten in copies). The install is cached under
//     <CacheDir>/python/deps/<hash of the dependency files and target>/ and
//     hard-linked into the .func, so an unchanged rebuild installs nothing;
//   - _vendor/lambdalens_runtime/: the adapter that turns Lambda events
//     into ASGI, WSGI or BaseHTTPRequestHandler requests and back;
//   - vc__handler__python.py: the trampoline, whose vc_handler is the
//     Lambda handler.
//
// A function over AWS Lambda's 250 MB unzipped limit whose dependencies
// come from uv.lock installs the public ones that do not fit at cold start
// (see runtimeInstall); otherwise it is an error that lists its largest
// dependencies. The user's tree is never written to.
func (r *Runtime) Build(ctx context.Context, req runtimes.BuildRequest) (*runtimes.Artifact, error) {
	return r.build(ctx, req, defaultBuildTools())
}

func (r *Runtime) build(ctx context.Context, req runtimes.BuildRequest, tools buildTools) (*runtimes.Artifact, error) {
	log := r.buildLogger(req)
	t, err := lambdaTarget(req.PythonVersion, req.Arch)
	if err != nil {
		return nil, fmt.Errorf("building %s: %w", req.File, err)
	}
	op := fmt.Sprintf("building %s for %s linux/%s", req.File, t.runtime(), t.lambdaArch)
	if err := checkBuildRequest(req); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	if len(req.IncludeFiles) > 0 {
		log.Info("includeFiles has no effect on a Python function: every project file that is not excluded is included", "file", req.File)
	}
	files, err := projectFiles(req, log)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	if err := os.MkdirAll(req.OutDir, 0o755); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	if err := copySources(req.OutDir, files); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}

	deps, err := findLambdaDeps(req.Root, entryDir(req.File))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	warnPoetryOnly(log, req.Root, entryDir(req.File))
	var bc buildContext
	if deps != nil {
		env := installEnv(req.Env)
		in, err := r.chooseInstaller(ctx, env, t)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		if in, err = r.exactInstaller(ctx, in, deps, t, env, buildCacheDir(req), tools, log); err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		key, err := depsKey(req.Root, deps, t, in.key(), env)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		installOp := fmt.Sprintf("installing the dependencies of %s for %s", deps.src.Name, t)
		vendor, err := cachedVendor(ctx, buildCacheDir(req), key, log, func(ctx context.Context, target string) error {
			log.Info("installing dependencies", "from", deps.src.Name, "installer", in.name, "target", t.String(), "frozen", deps.frozen())
			scratch := filepath.Join(filepath.Dir(target), "scratch")
			plan, err := planInstall(ctx, req.Root, deps, t, in, target, scratch, env)
			if err != nil {
				return fmt.Errorf("%s: %w", installOp, err)
			}
			if err := runInstall(ctx, plan, tools.run, installOp, t, log); err != nil {
				return err
			}
			if err := os.MkdirAll(target, 0o755); err != nil { // a project with no requirement left
				return fmt.Errorf("%s: %w", installOp, err)
			}
			return os.RemoveAll(scratch)
		})
		if err != nil {
			return nil, err
		}
		if err := linkTree(vendor, filepath.Join(req.OutDir, vendorDir)); err != nil {
			return nil, fmt.Errorf("%s: copying the dependencies from the cache: %w", op, err)
		}
		bc = buildContext{root: req.Root, outDir: req.OutDir, deps: deps, target: t, installer: in, env: env, cacheDir: buildCacheDir(req)}
	}
	if err := writeAdapter(req.OutDir, req.File, req.Entrypoint); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	total, vendor, project, err := funcSize(req.OutDir)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	if deps != nil && deps.uvLock != "" && total > tools.runtimeInstallAbove {
		names, err := r.runtimeInstall(ctx, bc, total, tools, log)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		if len(names) > 0 {
			log.Warn("the function is over AWS Lambda's size limit: these packages are installed at cold start by uv (the function needs network access to the package index)",
				"file", req.File, "size", mb(total), "packages", strings.Join(names, " "))
			// Smaller now: measure what ships.
			if total, vendor, project, err = funcSize(req.OutDir); err != nil {
				return nil, fmt.Errorf("%s: %w", op, err)
			}
		}
	}
	if err := checkSize(total, vendor, project, tools.sizeLimit); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return lambdaArtifact(t), nil
}

// lambdaArtifact is the .vc-config.json of a Python Lambda.
func lambdaArtifact(t pyTarget) *runtimes.Artifact {
	return &runtimes.Artifact{
		Handler:      lambdaHandler,
		Runtime:      t.runtime(),
		Architecture: t.lambdaArch,
		Environment: map[string]string{
			"PYTHONPATH":              vendorDir,
			"PYTHONDONTWRITEBYTECODE": "1",
		},
		SupportsResponseStreaming: true,
	}
}

func (r *Runtime) buildLogger(req runtimes.BuildRequest) *slog.Logger {
	if req.Logger != nil {
		return req.Logger.With("component", "python")
	}
	return r.logger()
}

// buildCacheDir is req.CacheDir, <Root>/.vercel/cache by default.
func buildCacheDir(req runtimes.BuildRequest) string {
	if req.CacheDir != "" {
		return req.CacheDir
	}
	return filepath.Join(req.Root, ".vercel", "cache")
}

func checkBuildRequest(req runtimes.BuildRequest) error {
	if !filepath.IsAbs(req.Root) {
		return fmt.Errorf("the project root %q is not absolute", req.Root)
	}
	if req.File == "" || filepath.IsAbs(req.File) {
		return fmt.Errorf("the entrypoint %q is not a path relative to the project root", req.File)
	}
	if _, err := os.Stat(filepath.Join(req.Root, filepath.FromSlash(req.File))); err != nil {
		return fmt.Errorf("reading the entrypoint: %w", err)
	}
	return nil
}

// projectFiles lists the files of req's project that go into its Lambda.
func projectFiles(req runtimes.BuildRequest, log *slog.Logger) ([]sourceFile, error) {
	filter, err := newFileFilter(req.Root, req.ExcludeFiles, req.OutDir, buildCacheDir(req))
	if err != nil {
		return nil, err
	}
	return collectSources(req.Root, filter, log)
}

// cacheKeyVersion changes whenever the way keys are computed changes.
const cacheKeyVersion = "lambdalens-python-cachekey-1"

// CacheKey returns a hex SHA-256 that changes whenever Build's output for
// req would: it hashes the adapter, the entrypoint and its analysis, the
// target (Python version, architecture), the names, modes and contents of
// every project file that goes into the Lambda, and the dependency install
// (the dependency files' contents, the target and the installer).
func (r *Runtime) CacheKey(ctx context.Context, req runtimes.BuildRequest) (string, error) {
	op := "computing the cache key of " + req.File
	t, err := lambdaTarget(req.PythonVersion, req.Arch)
	if err != nil {
		return "", fmt.Errorf("%s: %w", op, err)
	}
	if err := checkBuildRequest(req); err != nil {
		return "", fmt.Errorf("%s: %w", op, err)
	}
	// Warnings about skipped files were given by Build; a key is silent.
	files, err := projectFiles(req, slog.New(slog.DiscardHandler))
	if err != nil {
		return "", fmt.Errorf("%s: %w", op, err)
	}
	h := sha256.New()
	field := func(k string, v ...string) { fmt.Fprintf(h, "%s %q\n", k, v) }
	field("version", cacheKeyVersion, adapterDigest())
	field("entry", req.File, string(req.Entrypoint.Kind), req.Entrypoint.Symbol, string(req.Entrypoint.AppKind))
	field("target", t.version, t.lambdaArch)
	for _, f := range files {
		if err := ctx.Err(); err != nil {
			return "", fmt.Errorf("%s: %w", op, err)
		}
		sum, err := fileDigest(f.src)
		if err != nil {
			return "", fmt.Errorf("%s: %w", op, err)
		}
		field("file", f.rel, f.mode.String(), sum)
	}
	deps, err := findLambdaDeps(req.Root, entryDir(req.File))
	if err != nil {
		return "", fmt.Errorf("%s: %w", op, err)
	}
	if deps != nil {
		env := installEnv(req.Env)
		in, err := r.chooseInstaller(ctx, env, t)
		if err != nil {
			return "", fmt.Errorf("%s: %w", op, err)
		}
		if in.bootstrapsUV(t, env) {
			in = installer{name: installerUV} // as Build will, see exactInstaller
		}
		key, err := depsKey(req.Root, deps, t, in.key(), env)
		if err != nil {
			return "", fmt.Errorf("%s: %w", op, err)
		}
		field("deps", key)
		if deps.uvLock != "" {
			field("runtime-install", uvRuntimeVersion)
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func fileDigest(p string) (string, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("reading %s: %w", p, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
