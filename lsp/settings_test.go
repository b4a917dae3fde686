package lsp

import (
	"strings"
	"testing"
	"time"
)

func TestApplySettings(t *testing.T) {
	for _, tc := range []struct {
		name     string
		in       any
		check    func(Settings) bool
		problems string
	}{
		{"nil keeps defaults", nil, func(s Settings) bool { return s.lens(lensBuild) && s.DiagnosticsDelay == defaultDiagnosticsDelay }, ""},
		{"flat", map[string]any{"codelenses": map[string]any{"build": false}}, func(s Settings) bool { return !s.lens(lensBuild) && s.lens(lensDev) }, ""},
		{"nested", map[string]any{"lambdalens": map[string]any{"devListen": "127.0.0.1:4000"}}, func(s Settings) bool { return s.DevListen == "127.0.0.1:4000" }, ""},
		{"delay as duration", map[string]any{"diagnosticsDelay": "40ms"}, func(s Settings) bool { return s.DiagnosticsDelay == 40*time.Millisecond }, ""},
		{"delay in ms", map[string]any{"diagnosticsDelay": 7.0}, func(s Settings) bool { return s.DiagnosticsDelay == 7*time.Millisecond }, ""},
		{"bad delay", map[string]any{"diagnosticsDelay": "-1s"}, func(s Settings) bool { return s.DiagnosticsDelay == defaultDiagnosticsDelay }, "diagnosticsDelay"},
		{"unknown key", map[string]any{"nope": 1}, func(Settings) bool { return true }, `unknown setting "nope"`},
		{"unknown lens", map[string]any{"codelenses": map[string]any{"x": true}}, func(Settings) bool { return true }, `unknown code lens "x"`},
		{"bad watcher", map[string]any{"fileWatcher": "poll"}, func(s Settings) bool { return s.FileWatcher == watchAuto }, "fileWatcher"},
		{"not an object", []any{1}, func(Settings) bool { return true }, "JSON object"},
		{"wrong type", map[string]any{"typeCheckOnSave": "yes"}, func(s Settings) bool { return s.TypeCheckOnSave }, "reading settings"},
	} {
		got, problems := applySettings(defaultSettings(), tc.in)
		if !tc.check(got) {
			t.Errorf("%s: settings %+v", tc.name, got)
		}
		joined := strings.Join(problems, "; ")
		if tc.problems == "" && joined != "" || !strings.Contains(joined, tc.problems) {
			t.Errorf("%s: problems %q, want %q", tc.name, joined, tc.problems)
		}
	}
	// applySettings does not modify its base.
	base := defaultSettings()
	applySettings(base, map[string]any{"codelenses": map[string]any{"dev": false}})
	if !base.lens(lensDev) {
		t.Error("applySettings modified the base settings")
	}
}

func TestHelpers(t *testing.T) {
	for in, want := range map[string]int{"127.0.0.1:3000": 3000, ":8080": 8080, "3001": 3001, "http://127.0.0.1:3002": 3002, "nope": 0} {
		if got := listenPort(in); got != want {
			t.Errorf("listenPort(%q) = %d, want %d", in, got, want)
		}
	}
	if got := escapeGlob("api/users/[id]"); got != `api/users/\[id\]` {
		t.Errorf("escapeGlob = %q", got)
	}
	for in, want := range map[string]string{
		"http://127.0.0.1:3000/api/users/[id]":    "http://127.0.0.1:3000/api/users/%5Bid%5D",
		"http://127.0.0.1:3000/api/[...slug]/x y": "http://127.0.0.1:3000/api/%5B...slug%5D/x%20y",
		"http://127.0.0.1:3000/":                  "http://127.0.0.1:3000/",
		"http://127.0.0.1:3000/api/hello":         "http://127.0.0.1:3000/api/hello",
	} {
		if got := escapeURLPath(in); got != want {
			t.Errorf("escapeURLPath(%q) = %q, want %q", in, got, want)
		}
	}
	for code, want := range map[string]string{
		"go-package-main": "runtimes/go", "py-no-entrypoint": "runtimes/python", "unused-function": "#functions",
		"unknown-key": "project-configuration", "go-syntax": "", "conflicting-file-path": "",
	} {
		if got := docLink(code); want == "" && got != "" || !strings.Contains(got, want) {
			t.Errorf("docLink(%q) = %q, want %q", code, got, want)
		}
	}
	if !tooBroad("/") {
		t.Error("tooBroad(/) = false")
	}
	if tooBroad(t.TempDir()) {
		t.Error("tooBroad(a temp dir) = true")
	}
}
