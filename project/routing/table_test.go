package routing

import (
	"strings"
	"testing"

	"github.com/lambdalens/lambdalens/project/config"
	"github.com/lambdalens/lambdalens/runtimes"
)

func TestTableOrder(t *testing.T) {
	p := configProject()
	p.cfg.CleanURLs = false
	_, _, routes := p.build(t)
	var got []string
	for _, r := range routes {
		switch {
		case r.Handle != "":
			got = append(got, "handle:"+string(r.Handle))
		case r.Dest != "":
			got = append(got, r.Src+" -> "+r.Dest)
		default:
			got = append(got, r.Src)
		}
		if r.Origin == nil {
			t.Errorf("route %+v has no Origin", r)
		}
	}
	want := []string{
		"^/old$",
		"^/temp(?:/([^/]+?))$",
		"^/moved(?:/((?:[^/]+?)(?:/(?:[^/]+?))*))?$",
		"^/blog(?:/([^/]+?))$",
		"^/docs(?:/([^/]+?))$",
		"^(?:/(.*))$", "^/api(?:/(.*))$", "^/static(?:/([^/]+?))$", "^(?:/(.*))$",
		"handle:filesystem",
		"^/u(?:/([^/]+?))$ -> /api/users/$1",
		"^/proxy(?:/((?:[^/]+?)(?:/(?:[^/]+?))*))?$ -> https://upstream.example.com/$1",
		"^/search$ -> /api/search",
		"^/p(?:/([^/]+?))$ -> /api/users/[id]?id=$1",
		"^/app(?:/(.*))$ -> /index.html",
		"^/ua$ -> /api/mobile",
		"^/ua$ -> /api/desktop",
		"^/h$ -> /api/hello?sub=$sub&host=$host",
		"^/m$ -> /api/hello?debug=$debug",
		"^/cookie-check$ -> /api/hello?session=$session",
		"^/gone$ -> /nonexistent",
		"^/x-token$ -> /api/hello?x-token=$x-token",
		"^/retired$ -> /api/hello",
		"^/api/users/([^/]+)$ -> /api/users/[id]?id=$1",
		"^/api(/.*)?$",
		"handle:miss",
		`^/api/(.+)(?:\.(?:go))$ -> /api/$1`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("table:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if routes[0].Origin.Kind != OriginRedirect || routes[0].Origin.File != "vercel.json" {
		t.Errorf("first origin = %+v", routes[0].Origin)
	}
}

func TestTableDiagnostics(t *testing.T) {
	rng := func(line int) runtimes.Range {
		return runtimes.Range{Start: runtimes.Position{Line: line, Column: 5}, End: runtimes.Position{Line: line, Column: 30}}
	}
	cfg := &config.Config{Path: "vercel.json",
		Redirects: []config.Redirect{
			{Source: "/a/:", Destination: "/b", Range: rng(3)},
			{Source: "/ok", Destination: "/fine", Range: rng(4)},
			{Source: "/c/:id", Destination: "/d/:other", Range: rng(5)},
		},
		Headers: []config.HeaderRule{{Source: "/((?!x).*)", Headers: []config.Header{{Key: "a", Value: "b"}}, Range: rng(8)}},
		Rewrites: []config.Rewrite{
			{Source: "/e", Destination: "/f", Has: []config.Has{{Type: "query"}}, Range: rng(11)},
			{Source: "/g", Destination: "/h", Missing: []config.Has{{Type: "header", Key: "k", Value: strp("(")}}, Range: rng(12)},
			{Source: "/i", Destination: "/j", Has: []config.Has{{Type: "planet", Key: "k"}}, Range: rng(13)},
		},
	}
	routes, diags := Table(Input{Config: cfg})
	wantCodes := []struct {
		line int
		code string
	}{
		{3, CodeInvalidRouteSource}, {5, CodeInvalidRouteDestination}, {8, CodeInvalidRouteSource},
		{11, CodeInvalidRouteCondition}, {12, CodeInvalidRouteCondition}, {13, CodeInvalidRouteCondition},
	}
	if len(diags) != len(wantCodes) {
		t.Fatalf("diagnostics = %v", diags)
	}
	for i, w := range wantCodes {
		d := diags[i]
		if d.Range.Start.Line != w.line || d.Code != w.code || d.File != "vercel.json" || d.Severity != runtimes.SeverityError || d.Message == "" {
			t.Errorf("diag %d = %+v, want line %d code %s", i, d, w.line, w.code)
		}
	}
	if len(routes) != 1 || routes[0].Src != "^/ok$" {
		t.Errorf("routes = %+v, want only the valid redirect", routes)
	}
	if _, err := NewRouter(routes, FSOptions{}); err != nil {
		t.Errorf("NewRouter on Table output: %v", err)
	}

	legacy := &config.Config{Path: "vercel.json", Routes: []config.LegacyRoute{
		{Handle: "filesystem"}, {Handle: "filesystem", Range: rng(2)}, {Handle: "nope", Range: rng(3)},
		{Src: "/(?!api)", Range: rng(4)}, {Dest: "/x", Range: rng(5)}, {Src: "/ok", Dest: "/x"},
	}}
	routes, diags = Table(Input{Config: legacy})
	if len(diags) != 4 || diags[0].Code != CodeInvalidRouteHandle || diags[1].Code != CodeInvalidRouteHandle ||
		diags[2].Code != CodeInvalidRouteSource || diags[3].Code != CodeInvalidRouteSource {
		t.Errorf("legacy diagnostics = %v", diags)
	}
	if len(routes) != 2 || routes[0].Handle != PhaseFilesystem || routes[1].Src != "^/ok$" {
		t.Errorf("legacy routes = %+v", routes)
	}
}
