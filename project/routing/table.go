package routing

import (
	"fmt"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/lambdalens/lambdalens/project/config"
	"github.com/lambdalens/lambdalens/runtimes"
)

// Diagnostic codes reported by Table.
const (
	// CodeInvalidRouteSource: a source/src that does not compile.
	CodeInvalidRouteSource = "invalid-route-source"
	// CodeInvalidRouteDestination: a destination using a ":segment" that
	// neither the source nor has provides.
	CodeInvalidRouteDestination = "invalid-route-destination"
	// CodeInvalidRouteCondition: a has/missing entry that cannot be used.
	CodeInvalidRouteCondition = "invalid-route-condition"
	// CodeInvalidRouteHandle: an unknown or repeated legacy "handle".
	CodeInvalidRouteHandle = "invalid-route-handle"
)

// Input is what Table needs to build a project's route table.
type Input struct {
	// Config is the parsed vercel.json; nil is the same as an empty one.
	Config *config.Config
	// Functions are the project's functions in any order.
	Functions []FunctionInfo
	// NotFoundPage is the static custom 404 page ("404.html") when the
	// static files have one; empty for none.
	NotFoundPage string
	// Legacy is set for a project with vercel.json "builds": Vercel then
	// adds none of its zero-config routes; the filesystem serves each
	// function at its file's path.
	Legacy bool
}

// FunctionInfo is what Table needs of one function.
type FunctionInfo struct {
	// ID is the output path ("api/users/[id]", "index").
	ID string
	// File is the entrypoint (slash path relative to the project root),
	// recorded in the routes' Origin; ID is used when empty.
	File string
	// Route is the function's own route (ForFile). Unused for CatchAll
	// functions.
	Route FileRoute
	// CatchAll marks a Go server (ID "index") or a Python framework app:
	// it serves every path nothing else takes.
	CatchAll bool
	// KeepPath adds Vercel's request.path transform to the catch-all
	// route (Python framework apps).
	KeepPath bool
}

// apiExtensions is the regexp group of the extensions of the function
// files under api/ ("(?:\.(?:go|py))"), as Vercel's detectApiExtensions
// lists those of the builders present: with Go functions only,
// /api/hello.py is not /api/hello. Empty when no file has one.
func apiExtensions(fs []FunctionInfo) string {
	var exts []string
	for _, f := range fs {
		if f.CatchAll || !strings.HasPrefix(f.File, "api/") {
			continue
		}
		if ext := path.Ext(f.File); len(ext) > 1 && !slices.Contains(exts, ext[1:]) {
			exts = append(exts, ext[1:])
		}
	}
	if len(exts) == 0 {
		return ""
	}
	slices.Sort(exts)
	var b strings.Builder
	b.WriteString(`(?:\.(?:`)
	for i, e := range exts {
		if i > 0 {
			b.WriteByte('|')
		}
		b.WriteString(regexp.QuoteMeta(e))
	}
	b.WriteString("))")
	return b.String()
}

// Table builds the complete route table of a project, in Vercel's order
// (getTransformedRoutes merged with the zero-config routes by
// mergeRoutes): the user's routes of each phase come after the
// generated "continue" routes and before the generated "check" and other
// routes of the same phase. So user redirects and headers run first, and
// user rewrites are tried before the dynamic function routes.
//
// Entries of vercel.json that cannot be compiled are left out and
// reported as diagnostics at their range. Every route has an Origin.
func Table(in Input) ([]Route, []runtimes.Diagnostic) {
	cfg := in.Config
	if cfg == nil {
		cfg = &config.Config{}
	}
	t := &tableBuilder{cfg: cfg, file: cfg.Path}
	if t.file == "" {
		t.file = config.File
	}
	var user []Route
	if len(cfg.Routes) > 0 {
		user = t.legacy()
	} else {
		user = t.transformed()
	}
	return mergeRoutes(user, t.generated(in)), t.diags
}

type tableBuilder struct {
	cfg   *config.Config
	file  string
	diags []runtimes.Diagnostic
}

func (t *tableBuilder) report(r runtimes.Range, code, format string, args ...any) {
	t.diags = append(t.diags, runtimes.Diagnostic{
		File: t.file, Range: r, Severity: runtimes.SeverityError, Code: code,
		Message: fmt.Sprintf(format, args...),
	})
}

func (t *tableBuilder) origin(kind OriginKind, r runtimes.Range) *Origin {
	return &Origin{File: t.file, Range: r, Kind: kind}
}

func builtin() *Origin { return &Origin{Kind: OriginBuiltin} }

// transformed converts cleanUrls, trailingSlash, redirects, headers and
// rewrites (getTransformedRoutes).
func (t *tableBuilder) transformed() []Route {
	cfg := t.cfg
	var out []Route
	if cfg.CleanURLs {
		loc := "/$1"
		if cfg.TrailingSlash != nil && *cfg.TrailingSlash {
			loc = "/$1/"
		}
		o := t.origin(OriginCleanURLs, runtimes.Range{})
		out = append(out,
			Route{Src: `^/(?:(.+)/)?index(?:\.html)?/?$`, Headers: map[string]string{"Location": loc}, Status: 308, Origin: o},
			Route{Src: `^/(.*)\.html/?$`, Headers: map[string]string{"Location": loc}, Status: 308, Origin: o})
	}
	if cfg.TrailingSlash != nil {
		o := t.origin(OriginTrailingSlash, runtimes.Range{})
		if *cfg.TrailingSlash {
			out = append(out,
				Route{Src: `^/\.well-known(?:/.*)?$`, Origin: o},
				Route{Src: `^/((?:[^/]+/)*[^/\.]+)$`, Headers: map[string]string{"Location": "/$1/"}, Status: 308, Origin: o},
				Route{Src: `^/((?:[^/]+/)*[^/]+\.\w+)/$`, Headers: map[string]string{"Location": "/$1"}, Status: 308, Origin: o})
		} else {
			out = append(out, Route{Src: `^/(.*)\/$`, Headers: map[string]string{"Location": "/$1"}, Status: 308, Origin: o})
		}
	}
	for i, r := range cfg.Redirects {
		label := "redirects[" + strconv.Itoa(i) + "]"
		src, names, has, missing, ok := t.source(label, r.Source, r.Has, r.Missing, r.Range)
		if !ok {
			continue
		}
		loc, err := CompileDestination(r.Destination, names, r.Has, true)
		if err != nil {
			t.report(r.Range, CodeInvalidRouteDestination, "%s: %v", label, err)
			continue
		}
		status := r.StatusCode
		if status == 0 {
			status = 308
			if r.Permanent != nil && !*r.Permanent {
				status = 307
			}
		}
		out = append(out, Route{Src: src, Headers: map[string]string{"Location": loc}, Status: status,
			Has: has, Missing: missing, Origin: t.origin(OriginRedirect, r.Range)})
	}
	for i, h := range cfg.Headers {
		label := "headers[" + strconv.Itoa(i) + "]"
		src, names, has, missing, ok := t.source(label, h.Source, h.Has, h.Missing, h.Range)
		if !ok {
			continue
		}
		hasSegs := hasSegments(h.Has)
		hdrs := make(map[string]string, len(h.Headers))
		for _, kv := range h.Headers {
			hdrs[compileHeaderValue(kv.Key, names, hasSegs)] = compileHeaderValue(kv.Value, names, hasSegs)
		}
		out = append(out, Route{Src: src, Headers: hdrs, Continue: true, Has: has, Missing: missing,
			Origin: t.origin(OriginHeader, h.Range)})
	}
	if len(cfg.Rewrites) > 0 {
		out = append(out, Route{Handle: PhaseFilesystem, Origin: builtin()})
	}
	for i, r := range cfg.Rewrites {
		label := "rewrites[" + strconv.Itoa(i) + "]"
		src, names, has, missing, ok := t.source(label, r.Source, r.Has, r.Missing, r.Range)
		if !ok {
			continue
		}
		dest, err := CompileDestination(r.Destination, names, r.Has, false)
		if err != nil {
			t.report(r.Range, CodeInvalidRouteDestination, "%s: %v", label, err)
			continue
		}
		out = append(out, Route{Src: src, Dest: dest, Check: true, Status: r.StatusCode, Has: has, Missing: missing,
			Origin: t.origin(OriginRewrite, r.Range)})
	}
	return out
}

// source compiles an entry's source and conditions, reporting problems.
func (t *tableBuilder) source(label, source string, has, missing []config.Has, r runtimes.Range) (src string, names []string, h, m []config.Has, ok bool) {
	src, names, err := CompileSource(source)
	if err != nil {
		t.report(r, CodeInvalidRouteSource, "%s: %v", label, err)
		return "", nil, nil, nil, false
	}
	if h, ok = t.conditions(label+".has", has, r); !ok {
		return "", nil, nil, nil, false
	}
	if m, ok = t.conditions(label+".missing", missing, r); !ok {
		return "", nil, nil, nil, false
	}
	return src, names, h, m, true
}

// conditions validates has/missing and lower-cases header keys, as
// routing-utils' normalizeHasKeys does.
func (t *tableBuilder) conditions(label string, hs []config.Has, r runtimes.Range) ([]config.Has, bool) {
	if len(hs) == 0 {
		return nil, true
	}
	out := make([]config.Has, len(hs))
	for i, h := range hs {
		if _, err := compileCondition(h); err != nil {
			t.report(r, CodeInvalidRouteCondition, "%s[%d]: %v", label, i, err)
			return nil, false
		}
		if h.Type == "header" {
			h.Key = strings.ToLower(h.Key)
		}
		out[i] = h
	}
	return out, true
}

// legacy converts "routes" entries (normalizeRoutes).
func (t *tableBuilder) legacy() []Route {
	var out []Route
	seen := map[string]bool{}
	for i, lr := range t.cfg.Routes {
		label := "routes[" + strconv.Itoa(i) + "]"
		o := t.origin(OriginLegacyRoute, lr.Range)
		if lr.Handle != "" {
			switch Phase(lr.Handle) {
			case PhaseFilesystem, PhaseMiss, PhaseRewrite, PhaseHit, PhaseError, PhaseResource:
			default:
				t.report(lr.Range, CodeInvalidRouteHandle, "%s: unknown handle %q (want filesystem, miss, rewrite, hit, error or resource)", label, lr.Handle)
				continue
			}
			if seen[lr.Handle] {
				t.report(lr.Range, CodeInvalidRouteHandle, "%s: a second {\"handle\": %q}; each handle may appear once", label, lr.Handle)
				continue
			}
			seen[lr.Handle] = true
			out = append(out, Route{Handle: Phase(lr.Handle), Origin: o})
			continue
		}
		if lr.Src == "" {
			t.report(lr.Range, CodeInvalidRouteSource, "%s: a route needs \"src\" (or \"handle\")", label)
			continue
		}
		src, err := NormalizeSrc(lr.Src)
		if err != nil {
			t.report(lr.Range, CodeInvalidRouteSource, "%s: %v", label, err)
			continue
		}
		has, ok := t.conditions(label+".has", lr.Has, lr.Range)
		if !ok {
			continue
		}
		missing, ok := t.conditions(label+".missing", lr.Missing, lr.Range)
		if !ok {
			continue
		}
		out = append(out, Route{Src: src, Dest: lr.Dest, Headers: lr.Headers, Status: lr.Status,
			Methods: lr.Methods, Continue: lr.Continue, Check: lr.Check, Has: has, Missing: missing, Origin: o})
	}
	return out
}

// generated are the zero-config routes (Vercel's getRouteResult plus the
// catch-all route of Go servers and Python apps), with phase markers.
func (t *tableBuilder) generated(in Input) []Route {
	if in.Legacy {
		return nil
	}
	cleanURLs := t.cfg.CleanURLs
	trailing := t.cfg.TrailingSlash != nil && *t.cfg.TrailingSlash
	var api bool
	var dynamic []FunctionInfo
	var catchAll []FunctionInfo
	for _, f := range in.Functions {
		switch {
		case f.CatchAll:
			catchAll = append(catchAll, f)
			continue
		case f.Route.Dynamic() && f.Route.Src != "":
			dynamic = append(dynamic, f)
		}
		if strings.HasPrefix(f.ID, "api/") {
			api = true
		}
	}
	exts := apiExtensions(in.Functions)
	var out []Route
	if api && cleanURLs && exts != "" {
		loc := "/$1"
		if trailing {
			loc = "/$1/"
		}
		out = append(out,
			Route{Src: `^/(api(?:.+)?)/index` + exts + `?/?$`, Headers: map[string]string{"Location": loc}, Status: 308, Origin: builtin()},
			Route{Src: `^/api/(.+)` + exts + `/?$`, Headers: map[string]string{"Location": "/api" + loc}, Status: 308, Origin: builtin()})
	}
	if len(dynamic) > 0 || len(catchAll) > 0 || api {
		out = append(out, Route{Handle: PhaseFilesystem, Origin: builtin()})
	}
	sortFunctions(dynamic)
	for _, f := range dynamic {
		out = append(out, functionRoutes(f, cleanURLs)...)
	}
	for _, f := range catchAll {
		r := Route{Src: "^/(.*)$", Dest: "/" + f.ID, Origin: functionOrigin(f)}
		if f.KeepPath {
			r.Transforms = []Transform{{Type: "request.path", Op: "set", Args: "/$1"}}
		}
		out = append(out, r)
	}
	if api && len(catchAll) == 0 {
		out = append(out, Route{Src: "^/api(/.*)?$", Status: 404, Origin: builtin()})
	}
	if api && !cleanURLs && exts != "" {
		out = append(out, Route{Handle: PhaseMiss, Origin: builtin()},
			Route{Src: `^/api/(.+)` + exts + `$`, Dest: "/api/$1", Check: true, Origin: builtin()})
	}
	if in.NotFoundPage != "" {
		dest := "/" + strings.TrimPrefix(in.NotFoundPage, "/")
		if cleanURLs {
			dest = strings.TrimSuffix(dest, ".html")
		}
		// Vercel's ^(?!/api).*$ without lookahead (RE2 has none): any path
		// that does not start with /api (so not /apix either).
		out = append(out, Route{Handle: PhaseError, Origin: builtin()},
			Route{Src: `^/(?:[^a].*|a|a[^p].*|ap|ap[^i].*)?$`, Dest: dest, Status: 404, Origin: builtin()})
	}
	return out
}

func functionOrigin(f FunctionInfo) *Origin {
	file := f.File
	if file == "" {
		file = f.ID
	}
	return &Origin{File: file, Kind: OriginFunction}
}

func sortFunctions(fs []FunctionInfo) {
	sortBy(fs, func(f FunctionInfo) string { return f.Route.ID })
}

// functionRoutes are the rewrites of a dynamic function. An optional
// catch-all gets a second, shorter route first, so that the parent path
// is served without an empty parameter.
func functionRoutes(f FunctionInfo, cleanURLs bool) []Route {
	o := functionOrigin(f)
	full := Route{Src: f.Route.Src, Dest: f.Route.Dest, Check: true, Origin: o}
	segs, _, err := parseSegments(f.Route.ID, false)
	if err != nil || segs[len(segs)-1].kind != segOptional {
		return []Route{full}
	}
	short := buildFileRoute(segs, "", cleanURLs, false)
	return []Route{{Src: short.Src, Dest: short.Dest, Check: true, Origin: o}, full}
}

// mergeRoutes is routing-utils' mergeRoutes for one builder: per phase
// (in order of first appearance, the initial phase first), the phase
// marker, the generated "continue" routes, the user's routes, the
// generated "check" routes and the other generated routes.
func mergeRoutes(user, gen []Route) []Route {
	type phaseRoutes struct{ user, cont, check, other []Route }
	order := []Phase{PhaseNone}
	byPhase := map[Phase]*phaseRoutes{PhaseNone: {}}
	markers := map[Phase]*Origin{}
	get := func(p Phase) *phaseRoutes {
		pr, ok := byPhase[p]
		if !ok {
			pr = &phaseRoutes{}
			byPhase[p] = pr
			order = append(order, p)
		}
		return pr
	}
	walk := func(routes []Route, isUser bool) {
		cur := PhaseNone
		for _, r := range routes {
			if r.Handle != PhaseNone {
				cur = r.Handle
				get(cur)
				if markers[cur] == nil || isUser {
					markers[cur] = r.Origin
				}
				continue
			}
			pr := get(cur)
			switch {
			case isUser:
				pr.user = append(pr.user, r)
			case r.Check:
				pr.check = append(pr.check, r)
			case r.Continue:
				pr.cont = append(pr.cont, r)
			default:
				pr.other = append(pr.other, r)
			}
		}
	}
	walk(user, true)
	walk(gen, false)
	var out []Route
	for _, p := range order {
		pr := byPhase[p]
		n := len(pr.user) + len(pr.cont) + len(pr.check) + len(pr.other)
		if p != PhaseNone && n > 0 {
			out = append(out, Route{Handle: p, Origin: markers[p]})
		}
		out = append(out, pr.cont...)
		out = append(out, pr.user...)
		out = append(out, pr.check...)
		out = append(out, pr.other...)
	}
	return out
}
