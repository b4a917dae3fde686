package config

import (
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/lambdalens/lambdalens/runtimes"
)

func parseFile(t *testing.T, path string) (*Config, []runtimes.Diagnostic) {
	t.Helper()
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	cfg, diags := Parse("vercel.json", src)
	checkDiags(t, "vercel.json", src, diags)
	checkTree(t, src, cfg.Root)
	return cfg, diags
}

// TestExamplesParse parses realistic configs: ours under testdata must be
// clean, and the vercel.json of every example project in the repository
// must have no errors (warnings about Vercel-only features are fine),
// except examples/broken, which exists to show diagnostics and must have
// some.
func TestExamplesParse(t *testing.T) {
	files, _ := filepath.Glob("testdata/examples/*.json")
	if len(files) < 4 {
		t.Fatalf("found %d example configs", len(files))
	}
	for _, f := range files {
		if _, diags := parseFile(t, f); len(diags) != 0 {
			t.Errorf("%s: %v", f, diagStrings(diags))
		}
	}
	root := filepath.Join("..", "..", "examples")
	_ = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() != File {
			return nil
		}
		_, diags := parseFile(t, path)
		errs := 0
		for _, d := range diags {
			if d.Severity == runtimes.SeverityError {
				errs++
			}
		}
		broken := filepath.Base(filepath.Dir(path)) == "broken"
		if broken != (errs > 0) {
			t.Errorf("%s: %d errors: %q", path, errs, diagStrings(diags))
		}
		return nil
	})
}

func TestParseConfigValues(t *testing.T) {
	cfg, _ := parseFile(t, "testdata/examples/go-api.json")
	if len(cfg.Functions) != 2 {
		t.Fatalf("functions: %+v", cfg.Functions)
	}
	all, report := cfg.Functions[0], cfg.Functions[1]
	if all.Pattern != "api/**/*.go" || all.Memory != 1024 || all.MaxDuration != 30 || !slices.Equal(all.IncludeFiles, []string{"templates/**"}) {
		t.Errorf("first rule: %+v", all)
	}
	if all.PatternRange.Start.Line != 4 || all.PatternRange.Start.Column != 5 || all.Node == nil || all.Node.Kind != Object {
		t.Errorf("first rule position: %+v", all.PatternRange)
	}
	wantReport := FunctionRule{
		Pattern: "api/report.go", PatternRange: report.PatternRange, Node: report.Node,
		Memory: 3009, MaxDurationMax: true, Architecture: "arm64", Regions: []string{"iad1", "fra1"},
		FunctionFailoverRegions: []string{"sfo1"}, MaxConcurrency: 16, SupportsCancellation: true,
	}
	if !reflect.DeepEqual(report, wantReport) {
		t.Errorf("second rule:\n got %+v\nwant %+v", report, wantReport)
	}
	if len(cfg.Rewrites) != 2 || cfg.Rewrites[0].Source != "/users/:id" || cfg.Rewrites[1].Destination != "/api/index" || cfg.Rewrites[1].Range.Start.Line != 21 {
		t.Errorf("rewrites: %+v", cfg.Rewrites)
	}
	if !cfg.CleanURLs || cfg.TrailingSlash == nil || *cfg.TrailingSlash || cfg.Env["APP_ENV"] != "production" || cfg.BuildEnv["GOFLAGS"] != "-mod=mod" {
		t.Errorf("top-level values: %+v", cfg)
	}

	cfg, _ = parseFile(t, "testdata/examples/python-fastapi.json")
	if cfg.Framework != "fastapi" || cfg.OutputDirectory != "static" {
		t.Errorf("framework/outputDirectory: %q %q", cfg.Framework, cfg.OutputDirectory)
	}
	if got := cfg.Functions[0].ExcludeFiles; !slices.Equal(got, []string{"tests/**", "**/*.pyc"}) {
		t.Errorf("excludeFiles array: %q", got)
	}
	if len(cfg.Headers) != 2 || len(cfg.Headers[0].Headers) != 2 || cfg.Headers[0].Headers[1] != (Header{"X-Frame-Options", "DENY"}) {
		t.Errorf("headers: %+v", cfg.Headers)
	}
	if h := cfg.Headers[1].Has; len(h) != 1 || h[0].Type != "query" || h[0].Key != "v" || h[0].Value != nil {
		t.Errorf("has without value: %+v", h)
	}
	r := cfg.Redirects
	if len(r) != 3 || r[0].Permanent == nil || *r[0].Permanent || r[1].StatusCode != 301 || r[1].Permanent != nil {
		t.Fatalf("redirects: %+v", r)
	}
	if h := r[2].Has; len(h) != 1 || h[0].Type != "host" || *h[0].Value != `example\.com` {
		t.Errorf("host condition: %+v", h)
	}
	if m := r[2].Missing; len(m) != 1 || *m[0].Value != "1" || m[0].Key != "beta_opt_out" {
		t.Errorf("eq condition: %+v", m)
	}

	cfg, _ = parseFile(t, "testdata/examples/legacy-builds.json")
	if len(cfg.Builds) != 2 || !reflect.DeepEqual(cfg.Builds[0], Build{Src: "api/*.go", Use: "@vercel/go", Range: cfg.Builds[0].Range}) {
		t.Errorf("builds: %+v", cfg.Builds)
	}
	if got := cfg.Builds[1].Config; !reflect.DeepEqual(got, map[string]any{"maxLambdaSize": "15mb"}) {
		t.Errorf("build config: %#v", got)
	}
	var handles []string
	for _, rt := range cfg.Routes {
		handles = append(handles, rt.Handle)
	}
	if len(cfg.Routes) != 7 || !slices.Equal(handles, []string{"", "", "", "filesystem", "", "miss", ""}) {
		t.Fatalf("routes: %+v", cfg.Routes)
	}
	if rt := cfg.Routes[2]; rt.Src != "/api/(?<name>[^/]+)" || rt.Dest != "/api/$name.go" || !rt.Check || !slices.Equal(rt.Methods, []string{"GET", "POST"}) {
		t.Errorf("route 2: %+v", rt)
	}
	if rt := cfg.Routes[0]; rt.Status != 204 || rt.Headers["Cache-Control"] != "no-cache" {
		t.Errorf("route 0: %+v", rt)
	}
	if rt := cfg.Routes[4]; !rt.Continue || rt.Range.Start.Line != 13 {
		t.Errorf("route 4: %+v", rt)
	}
	if rt := cfg.Routes[6]; len(rt.Has) != 1 || rt.Has[0].Key != "x-debug" {
		t.Errorf("route 6: %+v", rt)
	}
}

// experimentalTriggers and affinity are kept, not only checked: the build
// writes them to .vc-config.json.
func TestTriggersAndAffinityKept(t *testing.T) {
	cfg, diags := Parse("vercel.json", []byte(`{"functions": {
		"api/q.go": {"experimentalTriggers": [
			{"type": "queue/v1beta", "topic": "orders", "consumer": "billing", "maxDeliveries": 3, "retryAfterSeconds": 0.5, "initialDelaySeconds": 0, "maxConcurrency": 2},
			{"type": "schedule/v1beta"}
		], "affinity": {"mode": "strict"}},
		"api/v2.go": {"experimentalTriggers": [{"type": "queue/v2beta", "topic": "t"}]}
	}}`))
	if len(diags) != 0 {
		t.Fatalf("diagnostics: %q", diagStrings(diags))
	}
	f := func(x float64) *float64 { return &x }
	want := []Trigger{
		{Type: "queue/v1beta", Topic: "orders", Consumer: "billing", MaxDeliveries: f(3), RetryAfterSeconds: f(0.5), InitialDelaySeconds: f(0), MaxConcurrency: f(2)},
		{Type: "schedule/v1beta"},
	}
	if got := cfg.Functions[0].ExperimentalTriggers; !reflect.DeepEqual(got, want) {
		t.Errorf("triggers = %+v, want %+v", got, want)
	}
	if a := cfg.Functions[0].Affinity; a == nil || a.Mode != "strict" {
		t.Errorf("affinity = %+v", a)
	}
	if got := cfg.Functions[1].ExperimentalTriggers; len(got) != 1 || got[0].Type != "queue/v2beta" || got[0].Topic != "t" {
		t.Errorf("v2beta triggers = %+v", got)
	}

	// Vercel's build allows queue/v2beta only as the one trigger.
	_, diags = Parse("vercel.json", []byte(`{"functions": {"api/*.go": {"experimentalTriggers": [{"type": "queue/v2beta", "topic": "a"}, {"type": "schedule/v1beta"}]}}}`))
	if len(diags) != 1 || diags[0].Code != "function-trigger" || !strings.Contains(diags[0].Message, "only have one item") {
		t.Errorf("two triggers with queue/v2beta: %q", diagStrings(diags))
	}
}

func TestIncludeFilesForms(t *testing.T) {
	tests := []struct {
		value string
		want  []string
	}{
		{`"templates/**"`, []string{"templates/**"}},
		{`["a/**", "b/*.txt"]`, []string{"a/**", "b/*.txt"}},
		{`[]`, []string{}},
		{`["ok/**", 3, "x[", "fine"]`, []string{"ok/**", "fine"}}, // bad items are reported and dropped
	}
	for _, tt := range tests {
		cfg, _ := Parse("vercel.json", []byte(`{"functions": {"api/*.go": {"includeFiles": `+tt.value+`, "excludeFiles": `+tt.value+`}}}`))
		r := cfg.Functions[0]
		if !slices.Equal(r.IncludeFiles, tt.want) || !slices.Equal(r.ExcludeFiles, tt.want) {
			t.Errorf("%s: include %q exclude %q, want %q", tt.value, r.IncludeFiles, r.ExcludeFiles, tt.want)
		}
	}
}

// TestDuplicatePattern: JSON.parse keeps a repeated key at its first
// position with its last value, and so do we.
func TestDuplicatePattern(t *testing.T) {
	cfg, diags := Parse("vercel.json", []byte(`{"functions": {"a/*.go": {"memory": 256}, "b.go": {"memory": 512}, "a/*.go": {"memory": 1024}}}`))
	if len(diags) != 1 || diags[0].Code != "json-duplicate-key" || len(diags[0].Related) != 1 {
		t.Errorf("diagnostics: %v", diagStrings(diags))
	}
	if len(cfg.Functions) != 2 || cfg.Functions[0].Pattern != "a/*.go" || cfg.Functions[0].Memory != 1024 || cfg.Functions[1].Pattern != "b.go" {
		t.Errorf("functions: %+v", cfg.Functions)
	}
}

// TestDuplicateTopLevelKey: a repeated top-level key keeps only its last
// value, as JSON.parse does; the value it replaces is neither merged nor
// checked.
func TestDuplicateTopLevelKey(t *testing.T) {
	cfg, diags := Parse("vercel.json", []byte(`{"rewrites": [{"source": "a", "destination": "/api/x"}],
 "rewrites": [{"source": "/b", "destination": "/api/y"}]}`))
	if len(diags) != 1 || diags[0].Code != "json-duplicate-key" {
		t.Errorf("diagnostics: %v", diagStrings(diags))
	}
	if len(cfg.Rewrites) != 1 || cfg.Rewrites[0].Source != "/b" {
		t.Errorf("rewrites: %+v, want only the last value's /b", cfg.Rewrites)
	}
}

func TestConditionValues(t *testing.T) {
	tests := []struct {
		value string
		want  string
	}{
		{`"a.+"`, "a.+"},
		{`{"eq": "a.b"}`, `a\.b`},
		{`{"eq": 42}`, `42`},
		{`{"re": "^x$"}`, "^x$"},
		{`{"pre": "/v1."}`, `/v1\..*`},
		{`{"suf": ".json"}`, `.*\.json`},
		{`{"inc": ["a", "b.c"]}`, `(?:a|b\.c)`},
	}
	for _, tt := range tests {
		src := `{"rewrites": [{"source": "/a", "destination": "/b", "has": [{"type": "query", "key": "k", "value": ` + tt.value + `}]}]}`
		cfg, diags := Parse("vercel.json", []byte(src))
		if len(diags) != 0 || len(cfg.Rewrites) != 1 || len(cfg.Rewrites[0].Has) != 1 {
			t.Fatalf("%s: %v", tt.value, diagStrings(diags))
		}
		if got := *cfg.Rewrites[0].Has[0].Value; got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.value, got, tt.want)
		}
	}
	// Two operators in one condition cannot be one regular expression.
	_, diags := Parse("vercel.json", []byte(`{"rewrites": [{"source": "/a", "destination": "/b", "has": [{"type": "query", "key": "k", "value": {"pre": "a", "suf": "b"}}]}]}`))
	if len(diags) == 0 || diags[0].Code != "has-condition-unsupported" {
		t.Errorf("two operators: %v", diagStrings(diags))
	}
}

// TestInvalidEntriesDropped: entries whose essential fields (source,
// destination, conditions, headers, builder) are wrong are reported and
// left out of Config, so that layers above never route with half an entry
// or match more widely than written.
func TestInvalidEntriesDropped(t *testing.T) {
	src := `{
  "rewrites": [{"source": "a", "destination": "/x"}, {"source": "/ok", "destination": "/y"}, {"source": "/z"},
    {"source": "/w", "destination": "/y", "has": [{"type": "ip", "key": "k"}]}],
  "redirects": [{"source": "/a", "destination": 3}, {"source": "/b", "destination": "/c", "statusCode": 999}],
  "headers": [{"source": "/a", "headers": []}, {"source": "/b", "headers": [{"key": "k", "value": "v"}]}],
  "builds": [{"src": "a.go"}, {"src": "b.go", "use": "@vercel/go"}]
}`
	cfg, diags := Parse("vercel.json", []byte(src))
	if len(diags) != 7 {
		t.Errorf("diagnostics: %q", diagStrings(diags))
	}
	if len(cfg.Rewrites) != 1 || cfg.Rewrites[0].Source != "/ok" {
		t.Errorf("rewrites: %+v", cfg.Rewrites)
	}
	// A bad statusCode is reported but the redirect is kept with the default.
	if len(cfg.Redirects) != 1 || cfg.Redirects[0].Source != "/b" || cfg.Redirects[0].StatusCode != 0 {
		t.Errorf("redirects: %+v", cfg.Redirects)
	}
	if len(cfg.Headers) != 1 || cfg.Headers[0].Source != "/b" {
		t.Errorf("headers: %+v", cfg.Headers)
	}
	if len(cfg.Builds) != 1 || cfg.Builds[0].Src != "b.go" {
		t.Errorf("builds: %+v", cfg.Builds)
	}
}

func TestMatchFunction(t *testing.T) {
	cfg, diags := Parse("vercel.json", []byte(`{"functions": {
		"api/special.go": {"memory": 128},
		"api/**/*.go": {"memory": 256},
		"api/py/index": {"memory": 512},
		"api/*.py": {"memory": 1024},
		"api/[id].go": {"memory": 2048}
	}}`))
	if len(diags) != 0 {
		t.Fatalf("diagnostics: %v", diagStrings(diags))
	}
	tests := []struct {
		file  string
		index int
	}{
		{"api/special.go", 0},    // exact match wins by order
		{"api/users/list.go", 1}, // ** glob
		{"api/hello.go", 1},      // ** matches zero directories
		{"api/py/index.py", 2},   // the path without its extension
		{"api/hello.py", 3},      // glob
		{"api/py/other.py", -1},  // api/*.py does not cross '/'
		{"main.go", -1},          // nothing
		{"api/[id].go", 1},       // "api/**/*.go" comes first
		{"apis/hello.go", -1},    // no partial prefix match
	}
	for _, tt := range tests {
		i, r := cfg.MatchFunction(tt.file)
		if i != tt.index || (r == nil) != (tt.index < 0) || (r != nil && r != &cfg.Functions[i]) {
			t.Errorf("MatchFunction(%q) = %d, %v; want %d", tt.file, i, r, tt.index)
		}
	}
	var nilCfg *Config
	if i, r := nilCfg.MatchFunction("api/x.go"); i != -1 || r != nil {
		t.Error("nil Config matched")
	}
}

func TestHasAndKeyRange(t *testing.T) {
	src := "{\n  \"cleanUrls\": true,\n  \"env\": {},\n  \"env\": {\"A\": \"1\"}\n}"
	cfg, _ := Parse("vercel.json", []byte(src))
	if !cfg.Has("cleanUrls") || !cfg.Has("env") || cfg.Has("functions") || cfg.Has("A") {
		t.Error("Has gives wrong answers")
	}
	want := runtimes.Range{
		Start: runtimes.Position{Line: 4, Column: 3, Offset: strings.LastIndex(src, `"env"`)},
		End:   runtimes.Position{Line: 4, Column: 8, Offset: strings.LastIndex(src, `"env"`) + 5},
	}
	if got := cfg.KeyRange("env"); got != want {
		t.Errorf("KeyRange(env) = %+v, want the last key %+v", got, want)
	}
	if got := cfg.KeyRange("functions"); got != (runtimes.Range{}) {
		t.Errorf("KeyRange of an absent key = %+v", got)
	}
	empty, _ := Parse("vercel.json", nil)
	if empty.Has("env") || empty.KeyRange("env") != (runtimes.Range{}) || empty.Root != nil {
		t.Error("empty file: Has/KeyRange/Root")
	}
}
