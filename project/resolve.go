package project

import (
	"errors"
	"fmt"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/lambdalens/lambdalens/project/config"
	"github.com/lambdalens/lambdalens/project/routing"
	"github.com/lambdalens/lambdalens/runtimes"
)

// resolveConfig applies vercel.json "functions" to every function (the
// first matching key wins) and reports keys that match no function.
func (l *loader) resolveConfig(p *Project) {
	used := make([]bool, len(p.Config.Functions))
	for _, f := range p.Functions {
		f.Config = FunctionConfig{Memory: DefaultMemory, MaxDuration: DefaultMaxDuration, Architecture: DefaultArchitecture}
		i := l.opts.Cache.matchFunction(l.configSrc, p.Config, f.File)
		if i < 0 {
			continue
		}
		rule := &p.Config.Functions[i]
		used[i] = true
		c := &f.Config
		c.Pattern = rule.Pattern
		if rule.Memory != 0 {
			c.Memory = rule.Memory
		}
		if rule.MaxDuration != 0 {
			c.MaxDuration = rule.MaxDuration
		}
		if rule.MaxDurationMax {
			// "max" is the plan's limit on Vercel; on Lambda it is 900 s.
			c.MaxDuration, c.MaxDurationMax = 900, true
		}
		if rule.Architecture != "" {
			c.Architecture = rule.Architecture
		}
		c.IncludeFiles = rule.IncludeFiles
		c.ExcludeFiles = rule.ExcludeFiles
		c.Regions = rule.Regions
		c.Runtime = rule.Runtime
	}
	for i, rule := range p.Config.Functions {
		if used[i] {
			continue
		}
		l.diags = append(l.diags, runtimes.Diagnostic{
			File: config.File, Range: rule.PatternRange, Severity: runtimes.SeverityError, Code: "unused-function",
			Message: fmt.Sprintf("the pattern %q in functions matches no function; functions are api/**/*.go and api/**/*.py files (and the entrypoints of a Go server or Python app)", rule.Pattern),
		})
	}
}

// routes computes each function's route, reports conflicts and builds the
// project's route table.
func (l *loader) routes(p *Project) {
	legacy := len(p.Config.Builds) > 0
	kept := p.Functions[:0]
	for _, f := range p.Functions {
		if f.Kind() != runtimes.KindFunction {
			f.Route = routing.FileRoute{ID: f.ID, Pattern: "/*", Src: "^/(.*)$", Dest: "/" + f.ID}
			kept = append(kept, f)
			continue
		}
		if legacy {
			// A function of a legacy "builds" entry is its file, extension
			// included (functions/api/index.go.func), with no route of its
			// own: the filesystem serves it at its path (reference §7).
			if err := routing.CheckFileChars(f.File); err != nil {
				l.diags = append(l.diags, runtimes.Diagnostic{
					File: f.File, Range: f.Entrypoint.SymbolRange, Severity: runtimes.SeverityError, Code: err.Code,
					Message: err.Error() + ": this file is not served",
				})
				continue
			}
			f.ID = f.File
			f.Route = routing.FileRoute{ID: f.File, Pattern: "/" + f.File, Src: "^/" + regexp.QuoteMeta(f.File) + "$", Dest: "/" + f.File}
			kept = append(kept, f)
			continue
		}
		r, err := routing.ForFile(f.File, p.Config.CleanURLs)
		if err != nil {
			code := "invalid-route"
			var re *routing.RouteError
			if errors.As(err, &re) {
				code = re.Code
			}
			l.diags = append(l.diags, runtimes.Diagnostic{
				File: f.File, Range: f.Entrypoint.SymbolRange, Severity: runtimes.SeverityError, Code: code,
				Message: err.Error() + ": this file is not served",
			})
			continue
		}
		f.Route = r
		f.ID = r.ID
		kept = append(kept, f)
	}
	p.Functions = kept
	sort.SliceStable(p.Functions, func(i, j int) bool { return p.Functions[i].ID < p.Functions[j].ID })

	var fileRoutes []routing.FileRoute
	var fileFuncs []*Function
	for _, f := range p.Functions {
		if f.Kind() == runtimes.KindFunction {
			fileRoutes = append(fileRoutes, f.Route)
			fileFuncs = append(fileFuncs, f)
		}
	}
	conflicting := map[*Function]bool{}
	for _, c := range l.opts.Cache.conflictsOf(fileRoutes) {
		a, b := fileFuncs[c.A], fileFuncs[c.B]
		if c.Code == routing.CodeConflictingFilePath {
			conflicting[b] = true // the first one keeps serving in dev
		}
		for _, x := range [][2]*Function{{a, b}, {b, a}} {
			msg := conflictMessage(c.Code, x[0], x[1])
			l.diags = append(l.diags, runtimes.Diagnostic{
				File: x[0].File, Range: x[0].Entrypoint.SymbolRange, Severity: runtimes.SeverityError, Code: c.Code,
				Message: msg,
				Related: []runtimes.Related{{File: x[1].File, Range: x[1].Entrypoint.SymbolRange, Message: "the other function"}},
			})
		}
	}
	l.fileConflicts(fileFuncs)
	if len(conflicting) > 0 {
		kept := p.Functions[:0]
		for _, f := range p.Functions {
			if !conflicting[f] {
				kept = append(kept, f)
			}
		}
		p.Functions = kept
	}

	in := routing.Input{Config: p.Config, Legacy: legacy}
	if p.PublicDir != "" && l.exists(path.Join(p.PublicDir, "404.html")) {
		in.NotFoundPage = "404.html"
	}
	for _, f := range p.Functions {
		catchAll := f.Kind() != runtimes.KindFunction
		in.Functions = append(in.Functions, routing.FunctionInfo{
			ID: f.ID, File: f.File, Route: f.Route, CatchAll: catchAll,
			KeepPath: catchAll && f.Language() == runtimes.Python,
		})
	}
	routes, diags := l.opts.Cache.table(l.configSrc, in)
	p.Routes = routes
	l.diags = append(l.diags, diags...)
}

// conflictMessage says why Vercel would refuse to deploy a beside b.
func conflictMessage(code string, a, b *Function) string {
	switch {
	case code == routing.CodeConflictingParamName:
		return fmt.Sprintf("%s and %s have different dynamic segments at the same position (%s, %s), which Vercel rejects: use the same segment in both",
			a.File, b.File, a.Route.Pattern, b.Route.Pattern)
	case a.Route.Pattern == b.Route.Pattern:
		return fmt.Sprintf("%s and %s both serve %s: rename or remove one of them", a.File, b.File, a.Route.Pattern)
	}
	return fmt.Sprintf("%s (%s) and %s (%s) are the same path to Vercel, which ignores the names and kinds of dynamic segments when it looks for conflicts: rename or remove one of them",
		a.File, a.Route.Pattern, b.File, b.Route.Pattern)
}

// fileConflicts reports the files that are not functions but that Vercel's
// conflict check finds beside a function: it compares each function file
// with every file of the deployment, so api/users.go beside
// api/users.json (or api/[id].go beside api/[slug]/notes.md) is refused.
// The function keeps serving in dev; the error stops a build, as the
// deployment would stop.
func (l *loader) fileConflicts(funcs []*Function) {
	isFunc := make(map[string]bool, len(funcs))
	for _, f := range funcs {
		isFunc[f.File] = true
	}
	byShape := map[string][]string{}
	var dynamic []string // non-function files with a [segment]
	for _, g := range l.files {
		if !strings.HasPrefix(g, "api/") || isFunc[g] {
			continue
		}
		shape := routing.FileShape(g)
		byShape[shape] = append(byShape[shape], g)
		if strings.Contains(g, "[") {
			dynamic = append(dynamic, g)
		}
	}
	for _, f := range funcs {
		shape := routing.FileShape(f.File)
		others := slices.Clone(byShape[shape])
		if strings.Contains(f.File, "[") {
			for _, g := range dynamic {
				if !slices.Contains(others, g) && routing.FilesDiffer(f.File, g) {
					others = append(others, g)
				}
			}
		}
		for _, g := range others {
			why := "are the same path to Vercel once extensions are dropped and dynamic segments erased"
			if !slices.Contains(byShape[shape], g) {
				why = "have different dynamic segments at the same position"
			}
			l.diags = append(l.diags, runtimes.Diagnostic{
				File: f.File, Range: f.Entrypoint.SymbolRange, Severity: runtimes.SeverityError, Code: routing.CodeConflictingFilePath,
				Message: fmt.Sprintf("%s and %s %s, so Vercel refuses to deploy them together (it checks functions against every file): rename one, or list %s in .vercelignore",
					f.File, g, why, g),
				Related: []runtimes.Related{{File: g, Message: "the other file"}},
			})
		}
	}
}
