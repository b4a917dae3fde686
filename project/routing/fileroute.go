package routing

import (
	"cmp"
	"fmt"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Codes of RouteError and Conflict.
const (
	// CodeConflictingPathSegment: the same [name] appears twice in a path.
	CodeConflictingPathSegment = "conflicting-path-segment"
	// CodeCatchAllNotLast: a [...name] segment is followed by others.
	CodeCatchAllNotLast = "catch-all-not-last"
	// CodeOptionalCatchAllNotLast: a [[...name]] segment is followed by
	// others.
	CodeOptionalCatchAllNotLast = "optional-catch-all-not-last"
	// CodeInvalidPathSegment: a segment cannot become part of a route
	// (empty, "[]", "[[name]]", a bad parameter name, "?", "#" or "\\").
	CodeInvalidPathSegment = "invalid-path-segment"
	// CodeConflictingFilePath: two functions serve the same paths.
	CodeConflictingFilePath = "conflicting-file-path"
	// CodeConflictingParamName: two functions use different parameter
	// names for the same [param] position.
	CodeConflictingParamName = "conflicting-param-name"
)

// RouteError is a function file path that cannot be turned into a route.
type RouteError struct {
	// File is the path given to ForFile.
	File string
	// Code is one of the Code* constants.
	Code    string
	Message string
	// Segment is the 0-based index of the offending "/"-separated segment
	// of File.
	Segment int
}

func (e *RouteError) Error() string {
	return fmt.Sprintf("routing %s: %s", e.File, e.Message)
}

type segKind int

const (
	segStatic segKind = iota
	segParam
	segCatchAll
	segOptional
)

// fileSeg is one "/"-separated segment of a function path.
type fileSeg struct {
	kind segKind
	// text is the literal for static segments, the parameter name
	// otherwise.
	text string
}

// splitExt splits the extension off the last segment. Dots inside
// brackets ("[[...slug]]") are not extensions.
func splitExt(last string) (base, ext string) {
	ext = path.Ext(last)
	if strings.ContainsAny(ext, "[]") || ext == last {
		return last, ""
	}
	return strings.TrimSuffix(last, ext), ext
}

// parseSegments splits p into classified segments. stripExt removes the
// extension of the last segment (file paths); IDs have none.
func parseSegments(p string, stripExt bool) (segs []fileSeg, ext string, err *RouteError) {
	fail := func(i int, code, format string, args ...any) ([]fileSeg, string, *RouteError) {
		return nil, "", &RouteError{File: p, Code: code, Segment: i, Message: fmt.Sprintf(format, args...)}
	}
	if p == "" {
		return fail(0, CodeInvalidPathSegment, "the path is empty")
	}
	if err := CheckFileChars(p); err != nil {
		return nil, "", err
	}
	parts := strings.Split(p, "/")
	for i, s := range parts {
		if !utf8.ValidString(s) {
			return fail(i, CodeInvalidPathSegment, "segment %d is not valid UTF-8", i+1)
		}
	}
	if stripExt {
		parts[len(parts)-1], ext = splitExt(parts[len(parts)-1])
	}
	seen := make(map[string]int, 2)
	for i, s := range parts {
		if s == "" {
			return fail(i, CodeInvalidPathSegment, "segment %d is empty", i+1)
		}
		seg, msg := classify(s)
		if msg != "" {
			return fail(i, CodeInvalidPathSegment, "segment %q: %s", s, msg)
		}
		if seg.kind != segStatic {
			if j, dup := seen[seg.text]; dup {
				return fail(i, CodeConflictingPathSegment,
					"the parameter name %q is used twice (segments %d and %d); each dynamic segment needs its own name", seg.text, j+1, i+1)
			}
			seen[seg.text] = i
		}
		segs = append(segs, seg)
	}
	for i, seg := range segs[:len(segs)-1] {
		switch seg.kind {
		case segCatchAll:
			return fail(i, CodeCatchAllNotLast, "the catch-all segment [...%s] must be the last segment", seg.text)
		case segOptional:
			return fail(i, CodeOptionalCatchAllNotLast, "the optional catch-all segment [[...%s]] must be the last segment", seg.text)
		}
	}
	return segs, ext, nil
}

// classify recognizes [name], [...name] and [[...name]]; anything else is a
// static segment. It returns a non-empty message for invalid segments.
func classify(s string) (fileSeg, string) {
	if !strings.HasPrefix(s, "[") || !strings.HasSuffix(s, "]") || len(s) < 2 {
		if strings.ContainsAny(s, "?#") {
			return fileSeg{}, `"?" and "#" cannot appear in a route path`
		}
		return fileSeg{kind: segStatic, text: s}, ""
	}
	inner := s[1 : len(s)-1]
	kind := segParam
	switch {
	case len(inner) >= 2 && strings.HasPrefix(inner, "[") && strings.HasSuffix(inner, "]"):
		inner = inner[1 : len(inner)-1]
		if !strings.HasPrefix(inner, "...") {
			return fileSeg{}, "optional segments must be catch-alls: write [[..." + inner + "]]"
		}
		kind, inner = segOptional, inner[3:]
	case strings.HasPrefix(inner, "..."):
		kind, inner = segCatchAll, inner[3:]
	}
	if msg := checkParamName(inner); msg != "" {
		return fileSeg{}, msg
	}
	return fileSeg{kind: kind, text: inner}, ""
}

// checkParamName allows letters, digits, "_", "-" and "." (not first), so
// that the name is usable as a query key without escaping.
func checkParamName(name string) string {
	if name == "" {
		return "the parameter name is empty"
	}
	if name[0] == '.' {
		return "a parameter name cannot start with \".\""
	}
	for _, r := range name {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '_' && r != '-' && r != '.' {
			return fmt.Sprintf("the parameter name %q contains %q; use letters, digits, \"_\", \"-\" or \".\"", name, r)
		}
	}
	return ""
}

// catchAllRe matches one or more segments without empty ones.
const catchAllRe = `([^/]+(?:/[^/]+)*)`

// CheckFileChars returns a *RouteError when the function file path p holds
// a backslash, which no function's path may hold, routed or not (a legacy
// "builds" function's ID is its path): the ID names the function's folder
// in the Build Output, where a backslash is a folder separator on Windows
// and not elsewhere, so the build refuses it.
func CheckFileChars(p string) *RouteError {
	i := strings.IndexByte(p, '\\')
	if i < 0 {
		return nil
	}
	seg := strings.Count(p[:i], "/")
	s := strings.Split(p, "/")[seg]
	return &RouteError{File: p, Code: CodeInvalidPathSegment, Segment: seg,
		Message: fmt.Sprintf(`segment "%s": a backslash cannot appear in a function's path; rename the file`, s)}
}

// ForFile returns the route of a function file such as
// "api/users/[id].go" (slash-separated, relative to the project root).
// cleanURLs drops the "name.ext" alternative of static routes, as Vercel
// does with "cleanUrls": true. Invalid paths give a *RouteError.
func ForFile(file string, cleanURLs bool) (FileRoute, error) {
	segs, ext, rerr := parseSegments(file, true)
	if rerr != nil {
		return FileRoute{}, rerr
	}
	return buildFileRoute(segs, ext, cleanURLs, true), nil
}

// buildFileRoute assembles a FileRoute. withOptional=false leaves out a
// trailing [[...name]] segment (the route then matches only the parent
// path and has no parameter for it).
func buildFileRoute(segs []fileSeg, ext string, cleanURLs, withOptional bool) FileRoute {
	names := make([]string, len(segs))
	for i, s := range segs {
		switch s.kind {
		case segStatic:
			names[i] = s.text
		case segParam:
			names[i] = "[" + s.text + "]"
		case segCatchAll:
			names[i] = "[..." + s.text + "]"
		case segOptional:
			names[i] = "[[..." + s.text + "]]"
		}
	}
	id := strings.Join(names, "/")
	last := segs[len(segs)-1]
	isIndex := last.kind == segStatic && last.text == "index"

	var src, query strings.Builder
	src.WriteString("^")
	var params []Param
	addParam := func(s fileSeg) {
		params = append(params, Param{Name: s.text, CatchAll: s.kind != segParam, Optional: s.kind == segOptional})
		if query.Len() == 0 {
			query.WriteByte('?')
		} else {
			query.WriteByte('&')
		}
		query.WriteString(s.text + "=$" + strconv.Itoa(len(params)))
	}
	for i, s := range segs {
		isLast := i == len(segs)-1
		switch {
		case s.kind == segParam:
			src.WriteString(`/([^/]+)`)
			addParam(s)
		case s.kind == segCatchAll:
			src.WriteString("/" + catchAllRe)
			addParam(s)
		case s.kind == segOptional:
			if withOptional {
				src.WriteString(`(?:/` + catchAllRe + `)?`)
				addParam(s)
			}
		case isLast && isIndex:
			alts := []string{"index"}
			if ext != "" && !cleanURLs {
				alts = append(alts, regexp.QuoteMeta("index"+ext))
			}
			if src.Len() == 1 { // the root index: "/" itself
				src.WriteString("/(?:" + strings.Join(alts, "|") + ")?")
			} else {
				src.WriteString("(?:/|/" + strings.Join(alts, "|/") + ")?")
			}
		case isLast:
			q := regexp.QuoteMeta(s.text)
			alts := []string{q + "/", q}
			if ext != "" && !cleanURLs {
				alts = append(alts, regexp.QuoteMeta(s.text+ext))
			}
			src.WriteString("/(?:" + strings.Join(alts, "|") + ")")
		default:
			src.WriteString("/" + regexp.QuoteMeta(s.text))
		}
	}
	src.WriteString("$")

	pattern := "/" + id
	if isIndex {
		pattern = "/" + strings.Join(names[:len(names)-1], "/")
	}
	return FileRoute{
		ID:      id,
		Pattern: pattern,
		Src:     src.String(),
		Dest:    "/" + id + query.String(),
		Params:  params,
	}
}

// idSegments parses a FileRoute's ID; an unparsable ID is taken as static
// segments so that ordering stays total.
func idSegments(id string) []fileSeg {
	segs, _, err := parseSegments(id, false)
	if err == nil {
		return segs
	}
	parts := strings.Split(id, "/")
	segs = make([]fileSeg, len(parts))
	for i, p := range parts {
		segs[i] = fileSeg{kind: segStatic, text: p}
	}
	return segs
}

// Compare orders routes so that the more specific one comes first, the
// way Next.js ranks dynamic routes: segment by segment, static before
// [param] before [...catchAll] before [[...optional]]; when one path is a
// prefix of the other, the deeper one first (as Vercel's
// sortFilesBySegmentCount); then by ID.
func Compare(a, b FileRoute) int {
	return compareSegs(idSegments(a.ID), idSegments(b.ID), a.ID, b.ID)
}

func compareSegs(sa, sb []fileSeg, a, b string) int {
	for i := range min(len(sa), len(sb)) {
		if c := cmp.Compare(sa[i].kind, sb[i].kind); c != 0 {
			return c
		}
	}
	if c := cmp.Compare(len(sb), len(sa)); c != 0 {
		return c
	}
	return strings.Compare(a, b)
}

// Sort sorts routes with Compare.
func Sort(routes []FileRoute) {
	sortBy(routes, func(r FileRoute) string { return r.ID })
}

// sortBy sorts items by Compare of their IDs, parsing each ID once.
func sortBy[T any](items []T, id func(T) string) {
	type keyed struct {
		item T
		id   string
		segs []fileSeg
	}
	ks := make([]keyed, len(items))
	for i, it := range items {
		ks[i] = keyed{it, id(it), idSegments(id(it))}
	}
	slices.SortStableFunc(ks, func(a, b keyed) int { return compareSegs(a.segs, b.segs, a.id, b.id) })
	for i := range ks {
		items[i] = ks[i].item
	}
}

// Conflict is a pair of function routes that cannot coexist.
type Conflict struct {
	// A and B index the slice given to Conflicts; A < B.
	A, B int
	// Code is CodeConflictingFilePath or CodeConflictingParamName.
	Code    string
	Message string
}

// Conflicts finds the pairs of routes Vercel refuses to deploy together
// (fs-detectors' pathOccurrences): paths equal once extensions are dropped
// and every dynamic segment, of any kind, is erased (api/x.go and
// api/x.py, api/[a].go and api/[...b].py), and paths that reach the same
// position with two different dynamic segments (api/[id].go and
// api/[slug]/info.go). An index file does not conflict with the file its
// folder is named after: api/x.go serves /api/x, api/x/index.py
// /api/x/index (checked against vercel build and vercel dev 64.0.2).
func Conflicts(routes []FileRoute) []Conflict {
	type info struct {
		segs  []fileSeg
		shape string
	}
	infos := make([]info, len(routes))
	for i, r := range routes {
		segs := idSegments(r.ID)
		infos[i] = info{segs: segs, shape: shapeOf(segs)}
	}
	var out []Conflict
	for i := range routes {
		for j := i + 1; j < len(routes); j++ {
			switch {
			case infos[i].shape == infos[j].shape:
				out = append(out, Conflict{A: i, B: j, Code: CodeConflictingFilePath,
					Message: fmt.Sprintf("%s and %s serve the same paths (%s)", routes[i].ID, routes[j].ID, infos[i].shape)})
			case dynamicSegmentsDiffer(infos[i].segs, infos[j].segs):
				out = append(out, Conflict{A: i, B: j, Code: CodeConflictingParamName,
					Message: fmt.Sprintf("%s and %s have different dynamic segments at the same position", routes[i].ID, routes[j].ID)})
			}
		}
	}
	return out
}

// shapeOf is the path with every dynamic segment, whatever its kind and
// name, written as "1": Vercel's getAbsolutePath, under which api/1.go
// and api/[id].go are the same path too.
func shapeOf(segs []fileSeg) string {
	var b strings.Builder
	for _, s := range segs {
		b.WriteByte('/')
		if s.kind == segStatic {
			b.WriteString(s.text)
		} else {
			b.WriteString("1")
		}
	}
	return b.String()
}

// FileShape is shapeOf for any file path (extension dropped): a function
// file conflicts with every other file of the same shape, not only with
// functions (api/users.go beside api/users.json; Vercel compares each
// function with all files of the deployment).
func FileShape(file string) string {
	return shapeOf(fileSegments(file))
}

// FilesDiffer reports whether two file paths have different dynamic
// segments at the same position (Vercel's partiallyMatches), which Vercel
// refuses too.
func FilesDiffer(a, b string) bool {
	return dynamicSegmentsDiffer(fileSegments(a), fileSegments(b))
}

// fileSegments classifies a file path's segments, its extension dropped;
// a path that is not a valid route is taken as static segments.
func fileSegments(file string) []fileSeg {
	if segs, _, err := parseSegments(file, true); err == nil {
		return segs
	}
	base, _ := splitExt(file)
	return idSegments(base)
}

// dynamicSegmentsDiffer reports whether, after a common prefix, both paths
// have a dynamic segment at the same position that differs in name or
// kind ([id] and [slug], [id] and [...rest]): Vercel's partiallyMatches.
// A differing static segment first separates the paths.
func dynamicSegmentsDiffer(a, b []fileSeg) bool {
	for i := range min(len(a), len(b)) {
		sa, sb := a[i], b[i]
		if sa == sb {
			continue
		}
		return sa.kind != segStatic && sb.kind != segStatic
	}
	return false
}
