package routing

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"regexp/syntax"
	"slices"
	"strings"
)

// Router evaluates a route table. It is safe for concurrent use.
type Router struct {
	opts FSOptions
	// Routes of each phase, handle markers removed. fs holds the
	// "filesystem", "rewrite" and "resource" phases in table order.
	initial, fs, miss, hit, errs []*compiledRoute
	// readsHeaders: a route's has or missing looks at a header or a
	// cookie (see ReadsHeaders).
	readsHeaders bool
}

// compiledRoute is a Route with its regular expressions and templates
// compiled once.
type compiledRoute struct {
	route   *Route
	re      *regexp.Regexp
	prefix  string // literal prefix every match starts with ("" if none)
	retry   bool   // also try the path without its leading "/" (vercel dev)
	methods []string
	has     []condition
	missing []condition
	dest    *destTmpl
	// headers in sorted key order; location is the "Location" header of
	// redirects, compiled as a URL.
	headers  []headerTmpl
	location *destTmpl
}

type headerTmpl struct {
	key   string
	value tmpl
}

// FSOptions are the vercel.json settings the filesystem check follows.
// The zero value is Vercel's default: neither is set.
type FSOptions struct {
	// CleanURLs serves "/about" from "about.html".
	CleanURLs bool
	// TrailingSlash (true) serves "/x/" from the output x (a file without
	// an extension, which its redirect sends there), and "/about/" from
	// "about.html" when CleanURLs is set; without it those paths are not
	// found, as in vercel dev.
	TrailingSlash bool
}

// NewRouter compiles routes (a Build Output API route table such as
// Table's) once. The error names the first route that does not compile.
func NewRouter(routes []Route, fs FSOptions) (*Router, error) {
	r := &Router{opts: fs}
	phase := PhaseNone
	seen := map[Phase]bool{}
	for i := range routes {
		rt := new(Route)
		*rt = routes[i] // the caller may reuse its slice
		if rt.Handle != PhaseNone {
			switch rt.Handle {
			case PhaseFilesystem, PhaseMiss, PhaseRewrite, PhaseHit, PhaseError, PhaseResource:
			default:
				return nil, fmt.Errorf("compiling route %d: unknown handle %q", i, rt.Handle)
			}
			if seen[rt.Handle] {
				return nil, fmt.Errorf("compiling route %d: handle %q appears twice", i, rt.Handle)
			}
			seen[rt.Handle] = true
			phase = rt.Handle
			continue
		}
		cr, err := compileRoute(rt)
		if err != nil {
			return nil, fmt.Errorf("compiling route %d (src %q): %w", i, rt.Src, err)
		}
		for _, c := range slices.Concat(cr.has, cr.missing) {
			r.readsHeaders = r.readsHeaders || c.typ == "header" || c.typ == "cookie"
		}
		switch phase {
		case PhaseNone:
			r.initial = append(r.initial, cr)
		case PhaseMiss:
			r.miss = append(r.miss, cr)
		case PhaseHit:
			r.hit = append(r.hit, cr)
		case PhaseError:
			r.errs = append(r.errs, cr)
		default:
			r.fs = append(r.fs, cr)
		}
	}
	return r, nil
}

// ReadsHeaders reports whether a route looks at a request header or
// cookie (a has or missing condition of type header or cookie). When it
// does not, the Result of Route depends only on the request's method,
// host, path and query, and on the Filesystem.
func (r *Router) ReadsHeaders() bool { return r.readsHeaders }

func compileRoute(rt *Route) (*compiledRoute, error) {
	if rt.Src == "" {
		return nil, fmt.Errorf("the route has neither src nor handle")
	}
	re, err := regexp.Compile(rt.Src)
	if err != nil {
		return nil, err
	}
	cr := &compiledRoute{route: rt, re: re, retry: !strings.HasPrefix(rt.Src, "^/"), prefix: anchoredPrefix(rt.Src)}
	for _, m := range rt.Methods {
		cr.methods = append(cr.methods, strings.ToUpper(m))
	}
	if cr.has, err = compileConditions(rt.Has); err != nil {
		return nil, fmt.Errorf("has: %w", err)
	}
	if cr.missing, err = compileConditions(rt.Missing); err != nil {
		return nil, fmt.Errorf("missing: %w", err)
	}
	if rt.Dest != "" {
		d := parseDest(rt.Dest, isExternal(rt.Dest))
		cr.dest = &d
	}
	keys := make([]string, 0, len(rt.Headers))
	for k := range rt.Headers {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	redirect := rt.Status >= 300 && rt.Status < 400
	for _, k := range keys {
		if redirect && strings.EqualFold(k, "Location") && rt.Headers[k] != "" {
			d := parseDest(rt.Headers[k], true)
			cr.location = &d
			continue
		}
		cr.headers = append(cr.headers, headerTmpl{key: k, value: parseTmpl(rt.Headers[k])})
	}
	if redirect && cr.location == nil && rt.Dest != "" {
		d := parseDest(rt.Dest, true) // vercel dev: Location defaults to dest
		cr.location = &d
	}
	return cr, nil
}

// anchoredPrefix returns the literal text every match of src starts with
// when src is anchored at the start ("^/api/users/" for
// "^/api/users/([^/]+)$"), so that most routes are rejected by a string
// comparison. regexp's LiteralPrefix does not see past "^" unless the
// program is one-pass.
func anchoredPrefix(src string) string {
	re, err := syntax.Parse(src, syntax.Perl)
	if err != nil {
		return ""
	}
	re = re.Simplify()
	if re.Op != syntax.OpConcat || len(re.Sub) < 2 || re.Sub[0].Op != syntax.OpBeginText {
		return ""
	}
	var b strings.Builder
	for _, sub := range re.Sub[1:] {
		if sub.Op != syntax.OpLiteral || sub.Flags&syntax.FoldCase != 0 {
			break
		}
		b.WriteString(string(sub.Rune))
	}
	return b.String()
}

// state is the routing state of one request.
type state struct {
	req     *Request
	view    reqView
	path    string
	query   url.Values
	headers http.Header
	status  int
}

// outcome of a phase.
type outcome int

const (
	fellThrough outcome = iota // no stopping route matched
	stopped                    // a route matched and ended the phase
	final                      // the result is decided
)

// Route routes one request. fs tells which outputs exist.
func (r *Router) Route(req Request, fs Filesystem) Result {
	if req.Path == "" || req.Path[0] != '/' {
		req.Path = "/" + req.Path
	}
	if req.Header == nil {
		req.Header = http.Header{}
	}
	query, _ := url.ParseQuery(req.RawQuery)
	st := &state{req: &req, path: req.Path, query: query, headers: http.Header{}}
	st.view.req = st.req
	res := Result{Path: req.Path}

	if r.runPhase(r.initial, PhaseNone, st, fs, &res) == final {
		return r.finish(st, res)
	}
	if r.found(st, fs, &res) || r.statusOnly(st, &res) || r.tryMiss(st, fs, &res) {
		return r.finish(st, res)
	}
	if r.runPhase(r.fs, PhaseFilesystem, st, fs, &res) == final {
		return r.finish(st, res)
	}
	if r.found(st, fs, &res) || r.statusOnly(st, &res) || r.tryMiss(st, fs, &res) {
		return r.finish(st, res)
	}
	switch r.runPhase(r.errs, PhaseError, st, fs, &res) {
	case final:
		return r.finish(st, res)
	case stopped:
		if out, ok := r.lookup(st.path, fs); ok {
			res.Output = out
		}
		res.Status = st.status
	}
	return r.finish(st, res)
}

// finish fills the common fields and the default 404.
func (r *Router) finish(st *state, res Result) Result {
	res.Headers, res.Query = st.headers, st.query
	if res.Output == "" && res.External == "" && res.Status == 0 {
		res.Status = http.StatusNotFound
	}
	return res
}

// found checks the filesystem for the current path; on a hit it runs the
// "hit" phase and fills res.
func (r *Router) found(st *state, fs Filesystem, res *Result) bool {
	out, ok := r.lookup(st.path, fs)
	if !ok {
		return false
	}
	r.runPhase(r.hit, PhaseHit, st, fs, res)
	res.Output, res.Status = out, st.status
	return true
}

// statusOnly ends routing when a route forced a status and nothing was
// found (a 404 "status" route, say).
func (r *Router) statusOnly(st *state, res *Result) bool {
	if st.status == 0 {
		return false
	}
	res.Status = st.status
	return true
}

// tryMiss runs the miss phase on a copy of the state; it is adopted only
// when it finds an output.
func (r *Router) tryMiss(st *state, fs Filesystem, res *Result) bool {
	if !slices.ContainsFunc(r.miss, func(cr *compiledRoute) bool { _, ok := cr.match(st); return ok }) {
		return false // no miss route would fire: nothing to copy the state for
	}
	cp := *st
	cp.query = cloneValues(st.query)
	cp.headers = st.headers.Clone()
	tmp := *res
	if r.runPhase(r.miss, PhaseMiss, &cp, fs, &tmp) != final || (tmp.Output == "" && tmp.External == "" && tmp.Location == "") {
		return false
	}
	*st, *res = cp, tmp
	return true
}

func cloneValues(v url.Values) url.Values {
	out := make(url.Values, len(v))
	for k, vs := range v {
		out[k] = slices.Clone(vs)
	}
	return out
}

// lookup finds the output serving p: the exact path, the path without a
// trailing slash, a directory's index.html, "<path>.html" with cleanUrls,
// and a directory's "index" function.
func (r *Router) lookup(p string, fs Filesystem) (string, bool) {
	if strings.Contains(p, "%2F") {
		return "", false // a name with a "/" in it: no file has one
	}
	rel := queryValue(strings.TrimPrefix(p, "/"))
	base := strings.TrimSuffix(rel, "/")
	try := func(c string) bool { return c != "" && fs.Exists(c) }
	if try(rel) {
		return rel, true
	}
	// "/x/" names the output x when it is a function, and any output
	// with trailingSlash, whose redirect sends every extensionless path
	// there (vercel dev's findAsset).
	if base != rel && try(base) && (r.opts.TrailingSlash || isFunction(fs, base)) {
		return base, true
	}
	dir := ""
	if base != "" {
		dir = base + "/"
	}
	if try(dir + "index.html") {
		return dir + "index.html", true
	}
	if r.opts.CleanURLs && base != "" && (base == rel || r.opts.TrailingSlash) && try(base+".html") {
		return base + ".html", true
	}
	if try(dir + "index") {
		return dir + "index", true
	}
	// A legacy "builds" function is named with its extension; vercel
	// dev serves <path>/index.* at <path> too.
	for _, ext := range []string{".go", ".py"} {
		if c := dir + "index" + ext; try(c) && isFunction(fs, c) {
			return c, true
		}
	}
	return "", false
}

// isFunction reports whether the output p is a function, when fs knows.
func isFunction(fs Filesystem, p string) bool {
	f, ok := fs.(FunctionSet)
	return !ok || f.IsFunction(p)
}

// match tests one route against the current state.
func (cr *compiledRoute) match(st *state) (*matchCtx, bool) {
	if len(cr.methods) > 0 && !slices.Contains(cr.methods, strings.ToUpper(st.req.Method)) {
		return nil, false
	}
	p := st.path
	idx := cr.find(p)
	if idx == nil && cr.retry && len(p) > 0 {
		p = p[1:]
		idx = cr.find(p)
	}
	if idx == nil {
		return nil, false
	}
	caps, ok := matchConditions(cr.has, cr.missing, &st.view, st.query)
	if !ok {
		return nil, false
	}
	return &matchCtx{re: cr.re, path: p, idx: idx, caps: caps}, true
}

func (cr *compiledRoute) find(p string) []int {
	if cr.prefix != "" && !strings.HasPrefix(p, cr.prefix) {
		return nil
	}
	return cr.re.FindStringSubmatchIndex(p)
}

// runPhase evaluates the routes of one phase in order.
func (r *Router) runPhase(routes []*compiledRoute, phase Phase, st *state, fs Filesystem, res *Result) outcome {
	for _, cr := range routes {
		m, ok := cr.match(st)
		if !ok {
			continue
		}
		rt := cr.route
		r.applyHeaders(cr, m, st, phase)
		if phase == PhaseHit {
			continue // hit routes only add headers
		}
		if rt.Continue {
			if rt.Status != 0 {
				st.status = rt.Status
			}
			if cr.dest != nil && !cr.dest.url {
				r.rewrite(cr, m, st)
			}
			continue
		}
		if cr.location != nil {
			res.Status = rt.Status
			res.Location = buildURL(cr.location, m, st.query)
			return final
		}
		if cr.dest != nil && cr.dest.url {
			res.External = buildURL(cr.dest, m, st.query)
			return final
		}
		if rt.Status != 0 {
			st.status = rt.Status
		}
		if cr.dest == nil {
			return stopped
		}
		r.rewrite(cr, m, st)
		if !rt.Check {
			return stopped
		}
		if out, ok := r.lookup(st.path, fs); ok {
			r.runPhase(r.hit, PhaseHit, st, fs, res)
			res.Output, res.Status = out, st.status
			return final
		}
		if rt.Status != 0 && phase != PhaseMiss {
			res.Status = rt.Status
			return final
		}
		if phase != PhaseMiss && r.tryMiss(st, fs, res) {
			return final
		}
	}
	return fellThrough
}

// applyHeaders adds the route's headers; hit and miss routes do not
// override headers set before.
func (r *Router) applyHeaders(cr *compiledRoute, m *matchCtx, st *state, phase Phase) {
	for _, h := range cr.headers {
		if (phase == PhaseHit || phase == PhaseMiss) && st.headers.Get(h.key) != "" {
			continue
		}
		st.headers.Set(h.key, h.value.expand(m, queryValue))
	}
}

// rewrite moves the state to the route's destination, merging its query
// over the current one.
func (r *Router) rewrite(cr *compiledRoute, m *matchCtx, st *state) {
	p := cr.dest.base.expand(m, rawValue)
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	st.path = p
	pairs := cr.dest.expandQuery(m)
	if len(pairs) == 0 {
		return
	}
	// st.query belongs to this request (tryMiss works on a copy).
	set := map[string]bool{}
	for _, q := range pairs {
		if !set[q.key] {
			set[q.key] = true
			st.query[q.key] = nil
		}
		st.query[q.key] = append(st.query[q.key], q.value)
	}
}

// buildURL builds a redirect Location or an external rewrite target: the
// destination with captured values escaped, then its query, then the
// request's query parameters that the destination does not set.
func buildURL(d *destTmpl, m *matchCtx, query url.Values) string {
	esc := rawValue
	if d.url {
		esc = urlPathValue
	}
	base := d.base.expand(m, esc)
	pairs := d.expandQuery(m)
	set := map[string]bool{}
	for _, p := range pairs {
		set[p.key] = true
	}
	keys := make([]string, 0, len(query))
	for k := range query {
		if !set[k] {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		for _, v := range query[k] {
			pairs = append(pairs, qsPair{k, v})
		}
	}
	if len(pairs) > 0 {
		base += "?" + encodeQuery(pairs)
	}
	return base + d.fragment.expand(m, esc)
}
