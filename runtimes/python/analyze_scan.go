package python

import (
	"slices"
	"strings"

	"github.com/lambdalens/lambdalens/runtimes"
)

// This file turns the logical lines of the tokenizer into what the analysis
// needs: imports, import aliases and the top-level bindings of app,
// application and class handler.

// bindKind says how a top-level name is bound.
type bindKind uint8

const (
	bindAssign   bindKind = iota + 1 // name = value, name: T = value
	bindDef                          // def name(...)
	bindAsyncDef                     // async def name(...)
	bindClass                        // class name(...)
	bindImport                       // from x import y as name, import x as name
)

// binding is one top-level binding of a name.
type binding struct {
	kind bindKind
	name string
	// start and end delimit the bound name.
	start, end int
	// callee is the dotted callee when an assignment's value is a call
	// ("FastAPI", "fastapi.FastAPI", "F").
	callee string
	// ref is the name an assignment's value is when it is a bare name
	// (app = api).
	ref string
	// params counts a def's positional parameters (-1 when unknown).
	params int
	// bases are a class's base classes as written.
	bases []string
}

// module is what the scan of one file found.
type module struct {
	src []byte
	// imports are the modules imported, deduplicated, in source order.
	imports []string
	// seen indexes imports once there are many.
	seen map[string]bool
	// aliases maps a local name bound by an import to the qualified name
	// it stands for: "F" -> "fastapi.FastAPI", "fa" -> "fastapi".
	aliases map[string]string
	// entries are the bindings of app, application and class handler, in
	// source order.
	entries []binding
	// values are the other top-level names bound to a call or a name (the
	// last binding wins), so that app = api can be followed.
	values map[string]binding
	// notClass is the first top-level handler that is not a class (def
	// handler, handler = ...), which Vercel does not accept.
	notClass *binding
}

func scanModule(src []byte, lines *lineIndex) (*module, []problem) {
	t := newTokenizer(src, lines)
	m := &module{src: src, aliases: map[string]string{}, values: map[string]binding{}}
	for t.next() {
		if len(t.line.toks) > 0 {
			m.statement(t.line.toks, t.line.topLevel)
		}
	}
	return m, t.problems
}

func (m *module) text(tk token) string { return string(m.src[tk.start:tk.end]) }

func (m *module) is(tk token, s string) bool { return string(m.src[tk.start:tk.end]) == s }

// statement interprets one logical line, which may hold several simple
// statements separated by semicolons.
func (m *module) statement(toks []token, topLevel bool) {
	for len(toks) > 0 {
		i := m.skipTo(toks, 0, ";")
		if i > 0 {
			m.simpleStatement(toks[:i], topLevel)
		}
		if i >= len(toks) {
			return
		}
		toks = toks[i+1:]
	}
}

// simpleStatement interprets one statement. Imports count at any
// indentation (try: import ujson as json), bindings only at the top level.
func (m *module) simpleStatement(toks []token, topLevel bool) {
	first := toks[0]
	switch {
	case m.is(first, "import"):
		m.importStmt(toks[1:], topLevel)
	case m.is(first, "from"):
		m.fromStmt(toks[1:], topLevel)
	case !topLevel:
	case m.is(first, "def"):
		m.def(toks[1:], false)
	case m.is(first, "async") && len(toks) > 1 && m.is(toks[1], "def"):
		m.def(toks[2:], true)
	case m.is(first, "class"):
		m.class(toks[1:])
	case first.kind == tokName:
		m.assignment(toks)
	}
}

// dotted reads a dotted name (a.b.c) at toks[i].
func (m *module) dotted(toks []token, i int) (string, int) {
	if i >= len(toks) || toks[i].kind != tokName {
		return "", i
	}
	s := m.text(toks[i])
	i++
	for i+1 < len(toks) && m.is(toks[i], ".") && toks[i+1].kind == tokName {
		s += "." + m.text(toks[i+1])
		i += 2
	}
	return s, i
}

// asName reads "as name" at toks[i].
func (m *module) asName(toks []token, i int) (token, int, bool) {
	if i+1 < len(toks) && m.is(toks[i], "as") && toks[i+1].kind == tokName {
		return toks[i+1], i + 2, true
	}
	return token{}, i, false
}

func (m *module) addImport(name string) {
	if m.seen == nil {
		if !slices.Contains(m.imports, name) {
			m.imports = append(m.imports, name)
		}
		if len(m.imports) > 16 {
			// Past a few imports, a set keeps this linear.
			m.seen = make(map[string]bool, 2*len(m.imports))
			for _, s := range m.imports {
				m.seen[s] = true
			}
		}
		return
	}
	if !m.seen[name] {
		m.seen[name] = true
		m.imports = append(m.imports, name)
	}
}

// importStmt handles "import a.b as c, d" (toks follow the keyword).
func (m *module) importStmt(toks []token, topLevel bool) {
	for i := 0; i < len(toks); i++ {
		name, j := m.dotted(toks, i)
		if name == "" {
			continue
		}
		m.addImport(name)
		if as, k, ok := m.asName(toks, j); ok {
			local := m.text(as)
			m.aliases[local] = name
			if topLevel && isEntryName(local) {
				m.entries = append(m.entries, binding{kind: bindImport, name: local, start: as.start, end: as.end})
			}
			j = k
		} else {
			head, _, _ := strings.Cut(name, ".")
			m.aliases[head] = head
		}
		i = m.skipTo(toks, j, ",")
	}
}

// fromStmt handles "from .m import a as b, c" (toks follow the keyword).
func (m *module) fromStmt(toks []token, topLevel bool) {
	i := 0
	dots := ""
	for i < len(toks) && (m.is(toks[i], ".") || m.is(toks[i], "...")) {
		dots += m.text(toks[i])
		i++
	}
	name := ""
	if i < len(toks) && !m.is(toks[i], "import") {
		name, i = m.dotted(toks, i)
	}
	mod := dots + name
	if name != "" {
		m.addImport(mod)
	}
	if mod == "" || i >= len(toks) || !m.is(toks[i], "import") {
		return
	}
	for i++; i < len(toks); i++ {
		tk := toks[i]
		if tk.kind != tokName || m.is(tk, "as") {
			continue // ( ) , * and a dangling "as"
		}
		n := m.text(tk)
		qualified := mod + "." + n
		if name == "" {
			// from . import util: the names are modules of the package.
			qualified = mod + n
			m.addImport(qualified)
		}
		local := tk
		if as, k, ok := m.asName(toks, i+1); ok {
			local, i = as, k-1
		}
		ln := m.text(local)
		m.aliases[ln] = qualified
		if topLevel && isEntryName(ln) {
			m.entries = append(m.entries, binding{kind: bindImport, name: ln, start: local.start, end: local.end})
		}
	}
}

// skipTo returns the index of the next s at bracket depth 0 from i, or
// len(toks).
func (m *module) skipTo(toks []token, i int, s string) int {
	depth := 0
	for ; i < len(toks); i++ {
		switch {
		case m.isOpen(toks[i]):
			depth++
		case m.isClose(toks[i]):
			depth--
		case depth == 0 && m.is(toks[i], s):
			return i
		}
	}
	return i
}

func (m *module) isOpen(tk token) bool {
	if tk.kind != tokOp {
		return false
	}
	c := m.src[tk.start]
	return c == '(' || c == '[' || c == '{'
}

func (m *module) isClose(tk token) bool {
	if tk.kind != tokOp {
		return false
	}
	c := m.src[tk.start]
	return c == ')' || c == ']' || c == '}'
}

func isEntryName(s string) bool { return s == "app" || s == "application" }

// def handles "def name(params)" (toks follow def).
func (m *module) def(toks []token, async bool) {
	if len(toks) == 0 || toks[0].kind != tokName {
		return
	}
	name := m.text(toks[0])
	b := binding{kind: bindDef, name: name, start: toks[0].start, end: toks[0].end, params: m.countParams(toks[1:])}
	if async {
		b.kind = bindAsyncDef
	}
	switch {
	case isEntryName(name):
		m.entries = append(m.entries, b)
	case strings.EqualFold(name, "handler") && m.notClass == nil:
		m.notClass = &b
	}
}

// countParams counts the positional parameters of a parameter list (toks
// start at its "(", or at a type parameter list before it). *args, the
// bare * and everything after them do not count; nor does the / marker.
func (m *module) countParams(toks []token) int {
	i := 0
	if i < len(toks) && m.is(toks[i], "[") {
		// Type parameters: skip to after the matching "]".
		for depth := 0; i < len(toks); i++ {
			if m.isOpen(toks[i]) {
				depth++
			} else if m.isClose(toks[i]) {
				if depth--; depth == 0 {
					i++
					break
				}
			}
		}
	}
	if i >= len(toks) || !m.is(toks[i], "(") {
		return -1
	}
	n, depth, segment := 0, 0, true
	for ; i < len(toks); i++ {
		tk := toks[i]
		switch {
		case m.isOpen(tk):
			depth++
			continue
		case m.isClose(tk):
			if depth--; depth == 0 {
				return n
			}
			continue
		case depth == 1 && m.is(tk, ","):
			segment = true
			continue
		}
		if depth == 1 && segment {
			segment = false
			switch {
			case m.is(tk, "*") || m.is(tk, "**"):
				return n
			case tk.kind == tokName:
				n++
			}
		}
	}
	return n
}

// class handles "class name(bases):" (toks follow class).
func (m *module) class(toks []token) {
	if len(toks) == 0 || toks[0].kind != tokName || !strings.EqualFold(m.text(toks[0]), "handler") {
		return
	}
	b := binding{kind: bindClass, name: m.text(toks[0]), start: toks[0].start, end: toks[0].end}
	if len(toks) > 1 && m.is(toks[1], "(") {
		depth := 1
		for i := 2; i < len(toks) && depth > 0; i++ {
			switch {
			case m.isOpen(toks[i]):
				depth++
			case m.isClose(toks[i]):
				depth--
			case depth == 1 && (m.is(toks[i-1], "(") || m.is(toks[i-1], ",")):
				// A base, unless it is a keyword argument (metaclass=M).
				if base, j := m.dotted(toks, i); base != "" && (j >= len(toks) || !m.is(toks[j], "=")) {
					b.bases = append(b.bases, base)
				}
			}
		}
	}
	m.entries = append(m.entries, b)
}

// assignment handles "a = b = value" and "a: T = value" where each target
// is a plain name; tuple, attribute and subscript targets bind nothing
// the analysis cares about.
func (m *module) assignment(toks []token) {
	if len(toks) >= 2 && m.is(toks[1], ":") {
		if eq := m.skipTo(toks, 2, "="); eq < len(toks) {
			m.assign(toks[0], toks[eq+1:])
		}
		return
	}
	var buf [4]int
	eqs := buf[:0]
	for i := m.skipTo(toks, 0, "="); i < len(toks); i = m.skipTo(toks, i+1, "=") {
		eqs = append(eqs, i)
	}
	if len(eqs) == 0 {
		return
	}
	value := toks[eqs[len(eqs)-1]+1:]
	start := 0
	for _, eq := range eqs {
		if eq-start == 1 && toks[start].kind == tokName {
			m.assign(toks[start], value)
		}
		start = eq + 1
	}
}

func (m *module) assign(target token, value []token) {
	name := m.text(target)
	b := binding{kind: bindAssign, name: name, start: target.start, end: target.end}
	if d, j := m.dotted(value, 0); d != "" {
		switch {
		case j < len(value) && m.is(value[j], "("):
			b.callee = d
		case j == len(value) && !strings.Contains(d, "."):
			b.ref = d
		}
	}
	switch {
	case isEntryName(name):
		m.entries = append(m.entries, b)
		m.values[name] = b
	case b.callee != "" || b.ref != "":
		m.values[name] = b
	}
	if strings.EqualFold(name, "handler") && m.notClass == nil {
		m.notClass = &b
	}
}

// resolve expands the first component of a dotted name through the import
// aliases. resolved is false when the name was not imported (a star
// import, a later assignment, a typo).
func (m *module) resolve(dotted string) (q string, resolved bool) {
	head, rest, dot := strings.Cut(dotted, ".")
	full, ok := m.aliases[head]
	if !ok {
		return dotted, false
	}
	if dot {
		return full + "." + rest, true
	}
	return full, true
}

// classify says what calling convention a binding shows, if any.
func (m *module) classify(b binding, depth int) (runtimes.AppKind, string) {
	switch b.kind {
	case bindAsyncDef:
		if b.params == 3 {
			return runtimes.AppASGI, ""
		}
	case bindDef:
		if b.params == 2 {
			return runtimes.AppWSGI, ""
		}
	case bindClass:
		for _, base := range b.bases {
			q, resolved := m.resolve(base)
			mod, name := splitLast(q)
			if requestHandlers[name] && (mod == "http.server" || !resolved && mod == "") {
				return runtimes.AppHandler, ""
			}
		}
	case bindAssign:
		if b.callee != "" {
			q, resolved := m.resolve(b.callee)
			return lookupApp(q, resolved)
		}
		if v, ok := m.values[b.ref]; ok && b.ref != "" && depth < 8 {
			return m.classify(v, depth+1)
		}
	}
	return runtimes.AppUnknown, ""
}

// requestHandlers are http.server's request handler classes.
var requestHandlers = map[string]bool{
	"BaseHTTPRequestHandler":   true,
	"SimpleHTTPRequestHandler": true,
	"CGIHTTPRequestHandler":    true,
}

// appFactory is a callable whose result is an app of a known kind.
type appFactory struct {
	// pkg is the distribution's top-level package.
	pkg string
	// module, when set, is the module the callable must come from.
	module string
	name   string
	kind   runtimes.AppKind
	// framework is reported in Entrypoint.Framework.
	framework string
	// bare is set for names distinctive enough to match without an import
	// (a star import, or an import the scan could not read).
	bare bool
}

// appFactories are the calls that show an app's kind, most specific first.
var appFactories = []appFactory{
	{pkg: "fastapi", name: "FastAPI", kind: runtimes.AppASGI, framework: "fastapi", bare: true},
	{pkg: "starlette", name: "Starlette", kind: runtimes.AppASGI, framework: "starlette", bare: true},
	{pkg: "quart", name: "Quart", kind: runtimes.AppASGI, framework: "quart", bare: true},
	{pkg: "litestar", name: "Litestar", kind: runtimes.AppASGI, framework: "litestar", bare: true},
	{pkg: "sanic", name: "Sanic", kind: runtimes.AppASGI, framework: "sanic", bare: true},
	{pkg: "fasthtml", name: "FastHTML", kind: runtimes.AppASGI, framework: "fasthtml", bare: true},
	{pkg: "django", name: "get_asgi_application", kind: runtimes.AppASGI, framework: "django", bare: true},
	{pkg: "django", name: "get_wsgi_application", kind: runtimes.AppWSGI, framework: "django", bare: true},
	{pkg: "flask", name: "Flask", kind: runtimes.AppWSGI, framework: "flask", bare: true},
	{pkg: "bottle", name: "Bottle", kind: runtimes.AppWSGI, framework: "bottle", bare: true},
	{pkg: "falcon", module: "falcon.asgi", name: "App", kind: runtimes.AppASGI, framework: "falcon"},
	{pkg: "falcon", name: "App", kind: runtimes.AppWSGI, framework: "falcon"},
}

// lookupApp classifies a call of the qualified name q.
func lookupApp(q string, resolved bool) (runtimes.AppKind, string) {
	mod, name := splitLast(q)
	pkg, _, _ := strings.Cut(mod, ".")
	for _, f := range appFactories {
		if f.name != name {
			continue
		}
		var ok bool
		switch {
		case f.module != "":
			ok = mod == f.module || strings.HasPrefix(mod, f.module+".")
		case mod != "":
			ok = pkg == f.pkg
		default:
			ok = f.bare && !resolved
		}
		if ok {
			return f.kind, f.framework
		}
	}
	return runtimes.AppUnknown, ""
}

// splitLast splits "a.b.c" into "a.b" and "c".
func splitLast(q string) (string, string) {
	if i := strings.LastIndexByte(q, '.'); i >= 0 {
		return q[:i], q[i+1:]
	}
	return "", q
}
