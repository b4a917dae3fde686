package routing

import (
	"errors"
	"reflect"
	"regexp"
	"slices"
	"testing"
)

func TestForFile(t *testing.T) {
	p := func(name string) Param { return Param{Name: name} }
	ca := func(name string) Param { return Param{Name: name, CatchAll: true} }
	opt := func(name string) Param { return Param{Name: name, CatchAll: true, Optional: true} }
	tests := []struct {
		file      string
		cleanURLs bool
		id        string
		pattern   string
		src       string // checked when set
		dest      string
		params    []Param
		match     []string
		noMatch   []string
	}{
		{file: "api/users/[id].go", id: "api/users/[id]", pattern: "/api/users/[id]",
			src: `^/api/users/([^/]+)$`, dest: "/api/users/[id]?id=$1", params: []Param{p("id")},
			match: []string{"/api/users/42", "/api/users/a.b"}, noMatch: []string{"/api/users", "/api/users/", "/api/users/1/2", "/api/users/42/"}},
		{file: "api/hello.go", id: "api/hello", pattern: "/api/hello",
			src: `^/api/(?:hello/|hello|hello\.go)$`, dest: "/api/hello",
			match: []string{"/api/hello", "/api/hello/", "/api/hello.go"}, noMatch: []string{"/api/hello.py", "/api/hellox", "/api/hello/x", "/api"}},
		{file: "api/hello.go", cleanURLs: true, id: "api/hello", pattern: "/api/hello",
			src: `^/api/(?:hello/|hello)$`, dest: "/api/hello",
			match: []string{"/api/hello", "/api/hello/"}, noMatch: []string{"/api/hello.go"}},
		{file: "api/hello.py", id: "api/hello", pattern: "/api/hello", dest: "/api/hello",
			match: []string{"/api/hello.py"}, noMatch: []string{"/api/hello.go"}},
		{file: "api/index.py", id: "api/index", pattern: "/api",
			src: `^/api(?:/|/index|/index\.py)?$`, dest: "/api/index",
			match: []string{"/api", "/api/", "/api/index", "/api/index.py"}, noMatch: []string{"/api/indexx", "/apix", "/api/index.go"}},
		{file: "api/index.go", cleanURLs: true, id: "api/index", pattern: "/api", dest: "/api/index",
			match: []string{"/api", "/api/", "/api/index"}, noMatch: []string{"/api/index.go"}},
		{file: "index.go", id: "index", pattern: "/", src: `^/(?:index|index\.go)?$`, dest: "/index",
			match: []string{"/", "/index", "/index.go"}, noMatch: []string{"//", "/x"}},
		{file: "api/[org]/[repo].py", id: "api/[org]/[repo]", pattern: "/api/[org]/[repo]",
			src: `^/api/([^/]+)/([^/]+)$`, dest: "/api/[org]/[repo]?org=$1&repo=$2", params: []Param{p("org"), p("repo")},
			match: []string{"/api/vercel/next.js"}, noMatch: []string{"/api/vercel", "/api/a/b/c"}},
		{file: "api/[org]/repos/[repo]/issues.go", id: "api/[org]/repos/[repo]/issues", pattern: "/api/[org]/repos/[repo]/issues",
			src: `^/api/([^/]+)/repos/([^/]+)/(?:issues/|issues|issues\.go)$`, dest: "/api/[org]/repos/[repo]/issues?org=$1&repo=$2",
			params: []Param{p("org"), p("repo")}, match: []string{"/api/o/repos/r/issues", "/api/o/repos/r/issues.go"}},
		{file: "api/[id]/index.go", id: "api/[id]/index", pattern: "/api/[id]", dest: "/api/[id]/index?id=$1",
			params: []Param{p("id")}, match: []string{"/api/5", "/api/5/", "/api/5/index"}, noMatch: []string{"/api"}},
		{file: "api/[...slug].go", id: "api/[...slug]", pattern: "/api/[...slug]",
			src: `^/api/([^/]+(?:/[^/]+)*)$`, dest: "/api/[...slug]?slug=$1", params: []Param{ca("slug")},
			match: []string{"/api/a", "/api/a/b/c"}, noMatch: []string{"/api", "/api/", "/api/a//b", "/api/a/"}},
		{file: "api/docs/[[...slug]].py", id: "api/docs/[[...slug]]", pattern: "/api/docs/[[...slug]]",
			src: `^/api/docs(?:/([^/]+(?:/[^/]+)*))?$`, dest: "/api/docs/[[...slug]]?slug=$1", params: []Param{opt("slug")},
			match: []string{"/api/docs", "/api/docs/a", "/api/docs/a/b"}, noMatch: []string{"/api/docsx", "/api/docs/"}},
		{file: "api/[org]/[...path].go", id: "api/[org]/[...path]", dest: "/api/[org]/[...path]?org=$1&path=$2",
			params: []Param{p("org"), ca("path")}, match: []string{"/api/o/a/b"}, noMatch: []string{"/api/o"}},
		{file: "api/[org]/[[...path]].go", id: "api/[org]/[[...path]]", dest: "/api/[org]/[[...path]]?org=$1&path=$2",
			params: []Param{p("org"), opt("path")}, match: []string{"/api/o", "/api/o/a/b"}},
		{file: "api/v1.0/[id].go", id: "api/v1.0/[id]", src: `^/api/v1\.0/([^/]+)$`, dest: "/api/v1.0/[id]?id=$1",
			params: []Param{p("id")}, match: []string{"/api/v1.0/3"}, noMatch: []string{"/api/v1x0/3"}},
		{file: "api/a+b.go", id: "api/a+b", dest: "/api/a+b", match: []string{"/api/a+b", "/api/a+b.go"}, noMatch: []string{"/api/aab"}},
		{file: "api/user-[id].go", id: "api/user-[id]", dest: "/api/user-[id]", match: []string{"/api/user-[id]"}, noMatch: []string{"/api/user-5"}},
		{file: "api/[user_id].go", id: "api/[user_id]", dest: "/api/[user_id]?user_id=$1", params: []Param{p("user_id")}},
		{file: "api/[user-id].go", id: "api/[user-id]", dest: "/api/[user-id]?user-id=$1", params: []Param{p("user-id")}},
		{file: "api/[id].test.go", id: "api/[id].test", dest: "/api/[id].test", match: []string{"/api/[id].test"}},
		{file: "api/Makefile", id: "api/Makefile", src: `^/api/(?:Makefile/|Makefile)$`, dest: "/api/Makefile"},
		{file: "api/[[...slug]]", id: "api/[[...slug]]", dest: "/api/[[...slug]]?slug=$1", params: []Param{opt("slug")},
			match: []string{"/api", "/api/x"}},
		{file: "api/[...all]", id: "api/[...all]", dest: "/api/[...all]?all=$1", params: []Param{ca("all")}},
		{file: "api/.hidden.go", id: "api/.hidden", dest: "/api/.hidden", match: []string{"/api/.hidden"}},
		{file: "api/deep/a/b/c/d.go", id: "api/deep/a/b/c/d", pattern: "/api/deep/a/b/c/d", dest: "/api/deep/a/b/c/d",
			match: []string{"/api/deep/a/b/c/d"}},
		{file: "api/名前/[id].go", id: "api/名前/[id]", dest: "/api/名前/[id]?id=$1", params: []Param{p("id")}, match: []string{"/api/名前/1"}},
		{file: "api/[ID].go", id: "api/[ID]", dest: "/api/[ID]?ID=$1", params: []Param{p("ID")}},
		{file: "main.go", id: "main", pattern: "/main", dest: "/main", match: []string{"/main", "/main.go", "/main/"}},
		{file: "api/users/index/[id].go", id: "api/users/index/[id]", dest: "/api/users/index/[id]?id=$1", params: []Param{p("id")},
			match: []string{"/api/users/index/1"}},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			got, err := ForFile(tc.file, tc.cleanURLs)
			if err != nil {
				t.Fatalf("ForFile(%q) = error %v", tc.file, err)
			}
			if got.ID != tc.id {
				t.Errorf("ID = %q, want %q", got.ID, tc.id)
			}
			if tc.pattern != "" && got.Pattern != tc.pattern {
				t.Errorf("Pattern = %q, want %q", got.Pattern, tc.pattern)
			}
			if tc.src != "" && got.Src != tc.src {
				t.Errorf("Src = %q, want %q", got.Src, tc.src)
			}
			if got.Dest != tc.dest {
				t.Errorf("Dest = %q, want %q", got.Dest, tc.dest)
			}
			if !reflect.DeepEqual(got.Params, tc.params) {
				t.Errorf("Params = %+v, want %+v", got.Params, tc.params)
			}
			if got.Dynamic() != (len(tc.params) > 0) {
				t.Errorf("Dynamic() = %v", got.Dynamic())
			}
			re := regexp.MustCompile(got.Src)
			for _, m := range tc.match {
				if !re.MatchString(m) {
					t.Errorf("Src %q does not match %q", got.Src, m)
				}
			}
			for _, m := range tc.noMatch {
				if re.MatchString(m) {
					t.Errorf("Src %q matches %q", got.Src, m)
				}
			}
		})
	}
}

func TestForFileCatchAllValues(t *testing.T) {
	r, err := ForFile("api/[org]/[...path].go", false)
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(r.Src).FindStringSubmatch("/api/acme/a/b/c")
	if m == nil || m[1] != "acme" || m[2] != "a/b/c" {
		t.Fatalf("groups = %q, want [acme a/b/c]", m)
	}
}

func TestForFileErrors(t *testing.T) {
	tests := []struct {
		file    string
		code    string
		segment int
	}{
		{"api/[id]/[id].go", CodeConflictingPathSegment, 2},
		{"api/[a]/x/[a].py", CodeConflictingPathSegment, 3},
		{"api/[id]/[...id].go", CodeConflictingPathSegment, 2},
		{"api/[...slug]/x.go", CodeCatchAllNotLast, 1},
		{"api/[...a]/[b].go", CodeCatchAllNotLast, 1},
		{"api/[[...slug]]/x.go", CodeOptionalCatchAllNotLast, 1},
		{"api/[[...a]]/[[...b]].go", CodeOptionalCatchAllNotLast, 1},
		{"api/[].go", CodeInvalidPathSegment, 1},
		{"api/[...].go", CodeInvalidPathSegment, 1},
		{"api/[[id]].go", CodeInvalidPathSegment, 1},
		{"api/[[...]].go", CodeInvalidPathSegment, 1},
		{"api/[a b].go", CodeInvalidPathSegment, 1},
		{"api/[a=b].go", CodeInvalidPathSegment, 1},
		{"api/[....x].go", CodeInvalidPathSegment, 1},
		{"api//x.go", CodeInvalidPathSegment, 1},
		{"/api/x.go", CodeInvalidPathSegment, 0},
		{"", CodeInvalidPathSegment, 0},
		{"api/wh?t.go", CodeInvalidPathSegment, 1},
		{"api/a#b.go", CodeInvalidPathSegment, 1},
		// Issue 4: a backslash is refused here, when the project loads,
		// not by the build after inspect passed it.
		{`api/a\b.go`, CodeInvalidPathSegment, 1},
		{`api\x/[id].go`, CodeInvalidPathSegment, 0},
		{`api/[a\b].go`, CodeInvalidPathSegment, 1},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			_, err := ForFile(tc.file, false)
			re, ok := errors.AsType[*RouteError](err)
			if !ok {
				t.Fatalf("ForFile(%q) error = %v, want *RouteError", tc.file, err)
			}
			if re.Code != tc.code || re.Segment != tc.segment {
				t.Errorf("error = {%s seg %d} %q, want {%s seg %d}", re.Code, re.Segment, re.Message, tc.code, tc.segment)
			}
			if re.Error() == "" || re.File != tc.file {
				t.Errorf("bad error text %q / file %q", re.Error(), re.File)
			}
		})
	}
}

func mustRoutes(t testing.TB, files ...string) []FileRoute {
	t.Helper()
	out := make([]FileRoute, len(files))
	for i, f := range files {
		r, err := ForFile(f, false)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = r
	}
	return out
}

func TestSort(t *testing.T) {
	routes := mustRoutes(t,
		"api/[...all].go",
		"api/[id].go",
		"api/users/[id].go",
		"api/[a]/[b].go",
		"api/users/[id]/posts/[post].go",
		"api/docs/[[...slug]].go",
		"api/users/me.go",
		"api/[a]/b.go",
		"api/a/[b].go",
		"api/x/[...rest].go",
	)
	Sort(routes)
	var got []string
	for _, r := range routes {
		got = append(got, r.ID)
	}
	want := []string{
		"api/users/me",
		"api/users/[id]/posts/[post]",
		"api/a/[b]",
		"api/users/[id]",
		"api/x/[...rest]",
		"api/docs/[[...slug]]",
		"api/[a]/b",
		"api/[a]/[b]",
		"api/[id]",
		"api/[...all]",
	}
	if !slices.Equal(got, want) {
		t.Errorf("order:\n got %q\nwant %q", got, want)
	}
}

// TestConflicts holds Conflicts to the verdicts of Vercel's
// fs-detectors (vercel build 64.0.2 rejected api/[id].go beside
// api/[...slug].go and deployed api/x.go beside api/x/index.go).
func TestConflicts(t *testing.T) {
	routes := mustRoutes(t,
		"api/x.go",            // 0
		"api/x.py",            // 1 same as 0
		"api/[a].go",          // 2
		"api/[b].py",          // 3 same shape as 2
		"api/y/index.go",      // 4
		"api/y.py",            // 5 not the same path as 4
		"api/[slug]/info.go",  // 6 dynamic segment differs from 2, 3, 9 and 10
		"api/z/[id].go",       // 7
		"api/z/[id]/more.go",  // 8 same names: fine
		"api/[...all].go",     // 9 same shape as 2 and 3
		"api/[...rest].py",    // 10 same shape as 2, 3 and 9
		"api/ok.go",           // 11
		"api/z/[id]/index.go", // 12 beside 7: fine
		"api/z/[...id].go",    // 13 same shape as 7; differs from 8 and 12
		"api/1.go",            // 14 same shape as 2, 3, 9 and 10 to Vercel
	)
	got := Conflicts(routes)
	type pair struct {
		a, b int
		code string
	}
	var pairs []pair
	for _, c := range got {
		pairs = append(pairs, pair{c.A, c.B, c.Code})
		if c.Message == "" {
			t.Errorf("conflict %d/%d has no message", c.A, c.B)
		}
	}
	want := []pair{
		{0, 1, CodeConflictingFilePath},
		{2, 3, CodeConflictingFilePath},
		{2, 6, CodeConflictingParamName},
		{2, 9, CodeConflictingFilePath},
		{2, 10, CodeConflictingFilePath},
		{2, 14, CodeConflictingFilePath},
		{3, 6, CodeConflictingParamName},
		{3, 9, CodeConflictingFilePath},
		{3, 10, CodeConflictingFilePath},
		{3, 14, CodeConflictingFilePath},
		{6, 9, CodeConflictingParamName},
		{6, 10, CodeConflictingParamName},
		{7, 13, CodeConflictingFilePath},
		{8, 13, CodeConflictingParamName},
		{9, 10, CodeConflictingFilePath},
		{9, 14, CodeConflictingFilePath},
		{10, 14, CodeConflictingFilePath},
		{12, 13, CodeConflictingParamName},
	}
	if !slices.Equal(pairs, want) {
		t.Errorf("conflicts:\n got %v\nwant %v", pairs, want)
	}
}
