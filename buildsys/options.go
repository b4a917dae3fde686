package buildsys

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/bmatcuk/doublestar/v4"

	"github.com/lambdalens/lambdalens/buildsys/zipper"
	"github.com/lambdalens/lambdalens/project"
	"github.com/lambdalens/lambdalens/runtimes"
)

// Options configure Run. Only Runtimes is required.
type Options struct {
	// Dir is the project directory. Default ".". Ignored when Project is
	// set.
	Dir string
	// Project is an already loaded project (the language server keeps one).
	// Nil means Run loads Dir with project.Load and Load.
	Project *project.Project
	// Load are the options for project.Load. The zero value reads from
	// disk.
	Load project.Options

	// OutDir is the Build Output directory. Default
	// <root>/.vercel/output; a relative path is relative to the project
	// root. It is replaced as a whole (see the package doc).
	OutDir string
	// Arch ("x86_64" or "arm64") overrides every function's architecture,
	// vercel.json included. Empty keeps each function's own.
	Arch string
	// Only is a doublestar glob matched against each function's ID and
	// file ("api/users/*", "**/*.py"); only matching functions are built
	// and written. Empty builds all.
	Only string
	// Zip also writes functions/<ID>.zip for every function. Default off.
	Zip bool
	// ZipTime is the timestamp of every zip entry. Zero means
	// $SOURCE_DATE_EPOCH, or 1980-01-01 when that is unset.
	ZipTime time.Time
	// Jobs bounds how many functions build at once. Zero or less means the
	// number of CPUs.
	Jobs int

	// CacheDir holds the build cache (<CacheDir>/build/<key>/) and the
	// runtimes' caches. Default <root>/.vercel/cache, with Go's GOCACHE
	// and GOMODCACHE left where the user has them. When set, GOCACHE and
	// GOMODCACHE move under it too (go-build/, go-mod/) so that one folder
	// holds everything worth keeping between CI runs. A relative path is
	// relative to the project root.
	CacheDir string
	// CacheTTL is how long a build cache entry may go unused before a
	// successful Run removes it. Zero means 7 days; negative keeps entries
	// forever.
	CacheTTL time.Duration
	// NoCache builds every function even when the build cache has it.
	// Fresh results are still stored. Default false.
	NoCache bool
	// Runtimes builds functions by language. Required; a function whose
	// language is missing fails the run before anything is built.
	Runtimes map[runtimes.Language]runtimes.Runtime
	// Env are extra KEY=VALUE entries for the build tools. They win over
	// vercel.json build.env and the cache variables. Nil adds none.
	Env []string

	// Progress receives human-readable progress (or JSON lines, see
	// Style). Nil writes none.
	Progress io.Writer
	// Style selects the progress format. Default StyleAuto.
	Style Style
	// Events, when set, is called for every function event, never
	// concurrently. The language server turns them into $/progress.
	Events func(Event)
	// Logger defaults to slog.Default(); component=buildsys is added.
	Logger *slog.Logger

	// builder replaces the runtime dispatcher in tests.
	builder CacheableBuilder
}

// Style is a progress output format.
type Style string

const (
	// StyleAuto is StyleTTY when Progress is a terminal, else StylePlain.
	StyleAuto Style = ""
	// StylePlain prints one line per state change.
	StylePlain Style = "plain"
	// StyleTTY keeps one live line per function, redrawn in place.
	StyleTTY Style = "tty"
	// StyleJSON prints one JSON object per line: each Event, then the
	// Summary with "type": "summary".
	StyleJSON Style = "json"
)

// runConfig is Options validated and resolved for one run.
type runConfig struct {
	project  *project.Project
	fns      []*project.Function // selected, in ID order
	arch     map[string]string   // function ID → architecture
	outDir   string
	cacheDir string
	zip      bool
	zipTime  time.Time
	jobs     int
	noCache  bool
	cacheTTL time.Duration
	builder  CacheableBuilder
	printer  printer
	events   func(Event)
	logger   *slog.Logger
}

// defaultCacheTTL is Options.CacheTTL's default: a week covers a working
// week of switching branches without letting a CI cache grow forever.
const defaultCacheTTL = 7 * 24 * time.Hour

var validArch = []string{"x86_64", "arm64"}

// newConfig validates o, loads the project and selects the functions. It
// reports project diagnostics to the printer and returns a
// *DiagnosticsError when any is an error.
func newConfig(ctx context.Context, o Options) (*runConfig, error) {
	c := &runConfig{zip: o.Zip, noCache: o.NoCache, events: o.Events, logger: o.Logger}
	if c.logger == nil {
		c.logger = slog.Default()
	}
	c.logger = c.logger.With("component", "buildsys")
	if o.Arch != "" && !slices.Contains(validArch, o.Arch) {
		return nil, fmt.Errorf("invalid architecture %q: want x86_64 or arm64", o.Arch)
	}
	if o.Only != "" && !doublestar.ValidatePattern(o.Only) {
		return nil, fmt.Errorf("invalid --only pattern %q", o.Only)
	}
	if len(o.Runtimes) == 0 && o.builder == nil {
		return nil, fmt.Errorf("configuring the build: no runtimes")
	}
	c.cacheTTL = o.CacheTTL
	if c.cacheTTL == 0 {
		c.cacheTTL = defaultCacheTTL
	}
	c.jobs = o.Jobs
	if c.jobs < 1 {
		c.jobs = runtime.NumCPU()
	}
	c.zipTime = o.ZipTime
	if c.zipTime.IsZero() {
		t, err := zipper.SourceDateEpoch(os.Getenv("SOURCE_DATE_EPOCH"))
		if err != nil {
			return nil, err
		}
		c.zipTime = t
	}
	var err error
	if c.printer, err = newPrinter(o.Progress, o.Style); err != nil {
		return nil, err
	}

	p := o.Project
	if p == nil {
		dir := o.Dir
		if dir == "" {
			dir = "."
		}
		if p, err = project.Load(ctx, dir, o.Load); err != nil {
			return nil, err
		}
	}
	c.project = p
	c.printer.diagnostics(p.Diagnostics)
	if p.HasErrors() {
		return nil, newDiagnosticsError(p.Diagnostics)
	}

	c.outDir = resolve(p.Root, o.OutDir, filepath.Join(".vercel", "output"))
	explicitCache := o.CacheDir != ""
	c.cacheDir = resolve(p.Root, o.CacheDir, filepath.Join(".vercel", "cache"))
	if err := checkReplaceable(p.Root, c.outDir); err != nil {
		return nil, err
	}

	if c.fns, err = selectFunctions(p.Functions, o.Only); err != nil {
		return nil, err
	}
	c.arch = map[string]string{}
	for _, fn := range c.fns {
		if !validID(fn.ID) {
			return nil, fmt.Errorf("building %s: function ID %q is not a clean relative path", fn.File, fn.ID)
		}
		if _, dup := c.arch[fn.ID]; dup {
			return nil, fmt.Errorf("building %s: another function has the output path functions/%s.func", fn.File, fn.ID)
		}
		a := o.Arch
		if a == "" {
			a = fn.Config.Architecture
		}
		if a == "" {
			a = project.DefaultArchitecture
		}
		if !slices.Contains(validArch, a) {
			return nil, fmt.Errorf("building %s: invalid architecture %q: want x86_64 or arm64", fn.File, a)
		}
		c.arch[fn.ID] = a
		if o.builder == nil && o.Runtimes[fn.Language()] == nil {
			return nil, fmt.Errorf("building %s: no runtime for language %q", fn.File, fn.Language())
		}
	}

	c.builder = o.builder
	if c.builder == nil {
		c.builder = &runtimeBuilder{
			runtimes: o.Runtimes,
			cacheDir: c.cacheDir,
			env:      buildEnv(p, c.cacheDir, explicitCache, o.Env),
			logger:   c.logger,
		}
	}
	return c, nil
}

// resolve makes p absolute against root, defaulting to def.
func resolve(root, p, def string) string {
	if p == "" {
		p = def
	}
	if !filepath.IsAbs(p) {
		p = filepath.Join(root, p)
	}
	return filepath.Clean(p)
}

// buildEnv assembles BuildRequest.Env: the cache variables (only for an
// explicit cache dir), then vercel.json build.env, then the caller's
// entries, so that later entries win.
func buildEnv(p *project.Project, cacheDir string, explicit bool, extra []string) []string {
	var env []string
	if explicit {
		env = append(env,
			"GOCACHE="+filepath.Join(cacheDir, "go-build"),
			"GOMODCACHE="+filepath.Join(cacheDir, "go-mod"))
	}
	if p.Config != nil {
		keys := make([]string, 0, len(p.Config.BuildEnv))
		for k := range p.Config.BuildEnv {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			env = append(env, k+"="+p.Config.BuildEnv[k])
		}
	}
	return append(env, extra...)
}

// selectFunctions returns the functions whose ID or file matches only (all
// when only is empty), sorted by ID.
func selectFunctions(all []*project.Function, only string) ([]*project.Function, error) {
	var out []*project.Function
	for _, fn := range all {
		// Exact names select too: IDs keep brackets ("api/users/[id]"),
		// which a glob reads as a character class.
		if only == "" || only == fn.ID || only == fn.File || match(only, fn.ID) || match(only, fn.File) {
			out = append(out, fn)
		}
	}
	if only != "" && len(out) == 0 {
		ids := make([]string, len(all))
		for i, fn := range all {
			ids[i] = fn.ID
		}
		return nil, fmt.Errorf("no function matches --only %q (functions: %s)", only, strings.Join(ids, ", "))
	}
	slices.SortFunc(out, func(a, b *project.Function) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

func match(pattern, name string) bool {
	ok, err := doublestar.Match(pattern, name)
	return err == nil && ok
}
