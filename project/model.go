package project

import (
	"strings"

	"github.com/bmatcuk/doublestar/v4"

	"github.com/lambdalens/lambdalens/project/config"
	"github.com/lambdalens/lambdalens/project/routing"
	"github.com/lambdalens/lambdalens/runtimes"
)

// Project is the loaded model of one project directory.
type Project struct {
	// Root is the absolute project directory.
	Root string `json:"-"`
	// Config is the parsed vercel.json (an empty Config when absent).
	Config *config.Config `json:"config"`
	// Functions are sorted by ID.
	Functions []*Function `json:"functions"`
	// Routes is the complete route table, as written to config.json and
	// evaluated by the dev server.
	Routes []routing.Route `json:"routes"`
	// PublicDir is the folder of static files, relative to Root:
	// "public" (or vercel.json's outputDirectory) when it has files; "."
	// when a project of api functions has no such folder, as Vercel then
	// serves every other file (see StaticExcluded); "." too with legacy
	// builds that have a @vercel/static one (see StaticGlobs); empty when
	// the project has no static files.
	PublicDir string `json:"publicDir,omitempty"`
	// StaticGlobs are the src globs of vercel.json's @vercel/static
	// builds. With legacy builds they alone name the static files, each
	// served at its own path ("public/a.css" at /public/a.css), as
	// Vercel's static builder outputs them when not zero-config; a public
	// folder is not served by itself.
	StaticGlobs []string `json:"staticGlobs,omitempty"`
	// GoVersion and PythonVersion are the detected language versions.
	GoVersion     Version `json:"goVersion"`
	PythonVersion Version `json:"pythonVersion"`
	// Diagnostics of every file, sorted by file, line, column.
	Diagnostics []runtimes.Diagnostic `json:"diagnostics"`
}

// Version is a detected language version and where it came from.
type Version struct {
	// Value is "1.26" / "1.26.1" / "3.12"; empty when unknown.
	Value string `json:"value"`
	// Source is the file (or "installed toolchain", "default") it came
	// from.
	Source string `json:"source"`
}

// Function is one entrypoint of the project: an api/ function, a Go
// standalone server or a Python framework app.
type Function struct {
	// ID is the output path ("api/users/[id]"; "index" for a Go server; the
	// framework name for a Python app). functions/<ID>.func in builds.
	ID string `json:"id"`
	// File is the entrypoint, slash-separated, relative to Root.
	File       string              `json:"file"`
	Entrypoint runtimes.Entrypoint `json:"entrypoint"`
	// Route is the function's own route. For servers and apps it is the
	// catch-all "/(.*)".
	Route routing.FileRoute `json:"route"`
	// Config holds the vercel.json "functions" settings that apply.
	Config FunctionConfig `json:"config"`
}

// Language is a shorthand for f.Entrypoint.Language.
func (f *Function) Language() runtimes.Language { return f.Entrypoint.Language }

// Kind is a shorthand for f.Entrypoint.Kind.
func (f *Function) Kind() runtimes.Kind { return f.Entrypoint.Kind }

// FunctionConfig is what vercel.json "functions" (the first matching key)
// and "builds" say about one function, with defaults applied: the
// effective settings, which the dev server, inspect and the language server
// use. The build writes to .vc-config.json only what the project configured
// (Project.FunctionRule), as Vercel does, so that the platform's own
// defaults apply to the rest.
type FunctionConfig struct {
	// Pattern is the "functions" key that matched; empty if none did.
	Pattern string `json:"pattern,omitempty"`
	// Memory in MB. Default 1024 (Vercel's default for new projects).
	Memory int `json:"memory"`
	// MaxDuration in seconds. Default 300 (Vercel's default with fluid
	// compute; the dev server's timeout); MaxDurationMax records an
	// explicit "max".
	MaxDuration    int  `json:"maxDuration"`
	MaxDurationMax bool `json:"maxDurationMax,omitempty"`
	// Architecture is "x86_64" (default) or "arm64".
	Architecture string   `json:"architecture"`
	IncludeFiles []string `json:"includeFiles,omitempty"`
	ExcludeFiles []string `json:"excludeFiles,omitempty"`
	Regions      []string `json:"regions,omitempty"`
	// Runtime is an explicit "runtime" override (name@version), if any.
	Runtime string `json:"runtime,omitempty"`
}

// Defaults applied to FunctionConfig when vercel.json says nothing. They
// are effective values for dev and inspect, never written to
// .vc-config.json.
const (
	DefaultMemory       = 1024
	DefaultMaxDuration  = 300
	DefaultArchitecture = "x86_64"
)

// Function returns the function with the given ID, or nil.
func (p *Project) Function(id string) *Function {
	for _, f := range p.Functions {
		if f.ID == id {
			return f
		}
	}
	return nil
}

// FunctionRule returns the vercel.json "functions" rule that configured f
// (the first matching key, whose pattern f.Config.Pattern records), or nil
// when none did. Unlike f.Config it holds only what the rule itself sets.
func (p *Project) FunctionRule(f *Function) *config.FunctionRule {
	if p.Config == nil || f.Config.Pattern == "" {
		return nil
	}
	for i := range p.Config.Functions {
		if r := &p.Config.Functions[i]; r.Pattern == f.Config.Pattern {
			return r
		}
	}
	return nil
}

// FunctionByFile returns the function whose entrypoint is file (slash path
// relative to Root), or nil.
func (p *Project) FunctionByFile(file string) *Function {
	for _, f := range p.Functions {
		if f.File == file {
			return f
		}
	}
	return nil
}

// HasPython reports whether any function runs on Python.
func (p *Project) HasPython() bool {
	for _, f := range p.Functions {
		if f.Language() == runtimes.Python {
			return true
		}
	}
	return false
}

// HasErrors reports whether any diagnostic is an error.
func (p *Project) HasErrors() bool {
	for _, d := range p.Diagnostics {
		if d.Severity == runtimes.SeverityError {
			return true
		}
	}
	return false
}

// StaticExcluded reports whether rel, a project file or folder (slash
// path relative to Root) under PublicDir, is nevertheless not static, or
// a folder that cannot hold a static file. With the project root as
// PublicDir: for zero-config projects, the api folder, package.json,
// lock files and README.md (reference §2.3; Vercel's static builder takes
// "!{api/**,package.json}"); with legacy builds, every file no
// @vercel/static glob matches, and the configuration and .env files
// Vercel's static builder never outputs. Files the ignore rules drop
// (Vercel's default list, .vercelignore) are never static either;
// callers apply those.
func (p *Project) StaticExcluded(rel string, isDir bool) bool {
	if p.PublicDir != "." {
		return false
	}
	if p.Legacy() {
		if isDir {
			return !p.staticFolder(rel)
		}
		if legacyNeverStatic[rel] || strings.HasPrefix(rel, ".env") {
			return true
		}
		for _, g := range p.StaticGlobs {
			if buildMatch(g, rel) {
				return false
			}
		}
		return true
	}
	return rel == "api" || strings.HasPrefix(rel, "api/") || rootPlatformFiles[rel]
}

// buildMatch reports whether a builds entry's src names rel: the file
// itself, brackets and all ("blog/[slug].html"), or a glob matching it, as
// Vercel's builders take a src (entrypoint === filename || minimatch).
func buildMatch(src, rel string) bool {
	if src == rel {
		return true
	}
	ok, _ := doublestar.Match(src, rel)
	return ok
}

// staticFolder reports whether folder rel may hold files a static glob
// matches: it lies on the way to a glob's fixed base folder, or inside
// it when the rest of the glob spans folders ("public/**", "{a,b}/x").
func (p *Project) staticFolder(rel string) bool {
	for _, g := range p.StaticGlobs {
		base, pat := doublestar.SplitPattern(g)
		onTheWay := base == rel || strings.HasPrefix(base, rel+"/")
		inside := base == "." || strings.HasPrefix(rel, base+"/")
		if onTheWay || inside && (strings.Contains(pat, "/") || strings.Contains(pat, "**")) {
			return true
		}
	}
	return false
}

// legacyNeverStatic are the files Vercel's static builder leaves out of
// its output (besides .git/ and .env*).
var legacyNeverStatic = map[string]bool{"vercel.json": true, ".vercelignore": true, "now.json": true, ".nowignore": true}

// Legacy reports whether vercel.json has builds: then they alone name the
// functions and the static files (no zero-config api/ functions, servers
// or apps, no public folder by itself).
func (p *Project) Legacy() bool { return p.Config != nil && len(p.Config.Builds) > 0 }

// RootCanBeStatic reports whether the project root becomes the static
// folder when there is no public folder and a file beside api/: the
// project has functions, all of them zero-config api functions (not a
// server or an app), and no legacy builds.
func (p *Project) RootCanBeStatic() bool {
	if p.Legacy() || len(p.Functions) == 0 {
		return false
	}
	for _, f := range p.Functions {
		if f.Kind() != runtimes.KindFunction {
			return false
		}
	}
	return true
}

// rootPlatformFiles are the root files that are never static.
var rootPlatformFiles = map[string]bool{
	"package.json": true, "README.md": true,
	"package-lock.json": true, "yarn.lock": true, "pnpm-lock.yaml": true, "bun.lockb": true, "bun.lock": true,
}
