package config

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

func patterns(n int) string {
	var b strings.Builder
	b.WriteString(`{"functions": {`)
	for i := range n {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `"api/f%d.go": {"memory": 512}`, i)
	}
	b.WriteString("}}")
	return b.String()
}

func manyRewrites(n int) string {
	var b strings.Builder
	b.WriteString(`{"rewrites": [`)
	for i := range n {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `{"source": "/r%d", "destination": "/api/r"}`, i)
	}
	b.WriteString("]}")
	return b.String()
}

// TestParseDiagnostics checks, for each input, the exact set of
// diagnostics: code, severity and start position.
func TestParseDiagnostics(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []want
		// msg, when set, must appear in the first diagnostic's message.
		msg string
	}{
		// Syntax.
		{"empty file", "", []want{e("json-syntax", "$EOF")}, "empty"},
		{"only spaces", "  \n ", []want{e("json-syntax", "$EOF")}, ""},
		{"missing comma", "{\n  \"cleanUrls\": true\n  \"public\": true\n}", []want{e("json-syntax", `^"public"`)}, "expected ',' or '}' after object member"},
		{"missing comma in array", `{"regions": ["iad1" "sfo1"]}`, []want{e("json-syntax", `^"sfo1"`)}, "']'"},
		{"trailing comma in object", `{"cleanUrls": true,}`, []want{e("json-trailing-comma", "true^,")}, ""},
		{"trailing comma in array", `{"regions": ["iad1",]}`, []want{e("json-trailing-comma", `"iad1"^,`)}, ""},
		{"line comment", "{\n  // hi\n  \"cleanUrls\": true\n}", []want{e("json-comment", "// hi")}, "comments"},
		{"block comment", `{/* hi */"cleanUrls": true}`, []want{e("json-comment", "/* hi */")}, ""},
		{"unterminated comment", `{"cleanUrls": true /* hi`, []want{e("json-syntax", "/* hi")}, "unterminated"},
		{"unquoted key", `{cleanUrls: true}`, []want{e("json-syntax", "cleanUrls")}, `"cleanUrls"`},
		{"single quotes", `{'cleanUrls': true}`, []want{e("json-syntax", "'cleanUrls'")}, ""},
		{"missing colon", `{"cleanUrls" true}`, []want{e("json-syntax", "true")}, "':'"},
		{"unterminated string", `{"name": "abc`, []want{e("json-syntax", `"abc`)}, "unterminated"},
		{"line break in string", "{\"name\": \"ab\nc\"}", []want{e("json-syntax", `"ab`)}, "\\n"},
		{"bad escape", `{"name": "a\qb"}`, []want{e("json-syntax", `\q`)}, "escape"},
		{"bad unicode escape", `{"name": "a\u12G4"}`, []want{e("json-syntax", `\u12`)}, "hex"},
		{"raw tab in string", "{\"name\": \"a\tb\"}", []want{e("json-syntax", "\t")}, "U+0009"},
		{"leading zero", `{"version": 02}`, []want{e("json-syntax", "02")}, "leading zeros"},
		{"bare minus", `{"version": -}`, []want{e("json-syntax", "-")}, ""},
		{"NaN", `{"version": NaN}`, []want{e("json-syntax", "NaN")}, ""},
		{"unknown word", `{"version": two}`, []want{e("json-syntax", "two")}, "double quotes"},
		{"content after value", `{} x`, []want{e("json-syntax", "x")}, "after the end"},
		{"eof in object", `{"cleanUrls": true`, []want{e("json-syntax", "$EOF")}, "end of file"},
		{"eof after key", `{"cleanUrls"`, []want{e("json-syntax", "$EOF")}, ""},
		{"invalid utf-8 in string", "{\"name\": \"a\xffb\"}", []want{w("json-invalid-utf8", "\xff")}, ""},
		{"invalid utf-8 outside strings", "{\"name\": \xff}", []want{e("json-syntax", "\xff")}, "0xFF"},
		{"duplicate key", "{\"public\": true,\n \"public\": false}", []want{w("json-duplicate-key", "\n ^\"public\"")}, "duplicate"},

		// Top level.
		{"not an object", `["a"]`, []want{e("config-not-object", "[")}, "object"},
		{"unknown key with suggestion", `{"rewrite": []}`, []want{w("unknown-key", `"rewrite"`)}, `did you mean "rewrites"?`},
		{"unknown key without suggestion", `{"zzzzzz": 1}`, []want{w("unknown-key", `"zzzzzz"`)}, "ignores"},
		{"cleanUrls type", `{"cleanUrls": "yes"}`, []want{e("invalid-type", `"yes"`)}, "boolean"},
		{"trailingSlash type", `{"trailingSlash": 1}`, []want{e("invalid-type", "1")}, ""},
		{"framework type", `{"framework": 3}`, []want{e("invalid-type", "3")}, "a string or null"},
		{"outputDirectory type", `{"outputDirectory": true}`, []want{e("invalid-type", "true")}, ""},
		{"regions item type", `{"regions": ["iad1", 2]}`, []want{e("invalid-type", "2")}, "regions[1]"},
		{"env", `{"env": {"1A": "x", "B": 3}}`, []want{w("env-invalid-name", `"1A"`), e("invalid-type", "3")}, ""},
		{"build env", `{"build": {"env": {"A-B": "x"}, "cmd": 1}}`, []want{w("env-invalid-name", `"A-B"`), e("unknown-property", `"cmd"`)}, ""},
		{"crons", `{"crons": [{"path": "api/x", "schedule": "0 5 * * *"}, {"path": "/x"}]}`, []want{e("cron-path", `"api/x"`), e("missing-property", `^{"path": "/x"}`)}, ""},

		// functions.
		{"functions not an object", `{"functions": []}`, []want{e("invalid-type", "[]")}, "an object"},
		{"functions empty", `{"functions": {}}`, []want{e("functions-empty", "{}")}, ""},
		{"functions too many", patterns(51), []want{e("functions-too-many", `"functions"`)}, "at most 50"},
		{"functions 50 is fine", patterns(50), nil, ""},
		{"pattern leading slash", `{"functions": {"/api/*.go": {"memory": 512}}}`, []want{e("function-pattern-slash", `"/api`)}, `write "api/*.go"`},
		{"pattern too long", `{"functions": {"` + strings.Repeat("a", 257) + `": {"memory": 512}}}`, []want{e("function-pattern-length", `"aaa`)}, "256"},
		{"pattern empty", `{"functions": {"": {"memory": 512}}}`, []want{e("function-pattern-length", `""`)}, ""},
		{"pattern bad glob", `{"functions": {"api/[x.go": {"memory": 512}}}`, []want{e("function-pattern-glob", `"api/[x.go"`)}, ""},
		{"rule not an object", `{"functions": {"api/*.go": 1}}`, []want{e("invalid-type", ": ^1")}, ""},
		{"rule empty", `{"functions": {"api/*.go": {}}}`, []want{e("function-empty", "{}")}, ""},
		{"rule unknown property", `{"functions": {"api/*.go": {"memroy": 512}}}`, []want{e("unknown-property", `"memroy"`)}, `did you mean "memory"?`},
		{"memory too small", `{"functions": {"api/*.go": {"memory": 64}}}`, []want{e("function-memory", "64")}, "128 and 10240"},
		{"memory not integral", `{"functions": {"api/*.go": {"memory": 1024.5}}}`, []want{e("function-memory", "1024.5")}, ""},
		{"memory huge", `{"functions": {"api/*.go": {"memory": 1e400}}}`, []want{e("function-memory", "1e400")}, ""},
		{"memory as string", `{"functions": {"api/*.go": {"memory": "1024"}}}`, []want{e("invalid-type", `"1024"`)}, "integer"},
		{"maxDuration above lambda", `{"functions": {"api/*.go": {"maxDuration": 901}}}`, []want{e("function-max-duration", "901")}, "900"},
		{"maxDuration zero", `{"functions": {"api/*.go": {"maxDuration": 0}}}`, []want{e("function-max-duration", "0")}, ""},
		{"maxDuration word", `{"functions": {"api/*.go": {"maxDuration": "forever"}}}`, []want{e("function-max-duration", `"forever"`)}, `"max"`},
		{"maxDuration bool", `{"functions": {"api/*.go": {"maxDuration": true}}}`, []want{e("invalid-type", "true")}, ""},
		{"architecture", `{"functions": {"api/*.go": {"architecture": "arm"}}}`, []want{e("function-architecture", `"arm"`)}, ""},
		{"runtime without version", `{"functions": {"api/*.php": {"runtime": "vercel-php"}}}`, []want{e("function-runtime-version", `"vercel-php"`)}, "vercel-php@0.7.3"},
		{"community runtime", `{"functions": {"api/*.php": {"runtime": "vercel-php@0.7.3"}}}`, []want{w("function-runtime-unsupported", `"vercel-php@`)}, ".go with the Go runtime"},
		{"includeFiles wrong type", `{"functions": {"api/*.go": {"includeFiles": 3}}}`, []want{e("invalid-type", "3")}, "array of glob strings"},
		{"includeFiles bad glob", `{"functions": {"api/*.go": {"includeFiles": ["ok/**", "b[d"]}}}`, []want{e("function-files-glob", `"b[d"`)}, "includeFiles[1]"},
		{"excludeFiles too long", `{"functions": {"api/*.py": {"excludeFiles": "` + strings.Repeat("x", 257) + `"}}}`, []want{e("function-files-length", `"xxx`)}, ""},
		{"maxConcurrency", `{"functions": {"api/*.go": {"maxConcurrency": 0}}}`, []want{e("function-max-concurrency", "0")}, ""},
		{"supportsCancellation", `{"functions": {"api/*.go": {"supportsCancellation": "yes"}}}`, []want{e("invalid-type", `"yes"`)}, ""},
		{"triggers", `{"functions": {"api/*.go": {"experimentalTriggers": [{"type": "queue/v9"}]}}}`, []want{e("function-trigger", `"queue/v9"`)}, ""},
		{"affinity", `{"functions": {"api/*.go": {"affinity": {"mode": "loose"}}}}`, []want{e("function-affinity", `"loose"`)}, ""},
		{"functions with builds", "{\"builds\": [{\"src\": \"a.go\", \"use\": \"@vercel/go\"}],\n \"functions\": {\"a.go\": {\"memory\": 512}}}", []want{e("functions-and-builds", `"functions"`)}, `"builds"`},

		// builds.
		{"builds type", `{"builds": {}}`, []want{e("invalid-type", "{}")}, ""},
		{"build without use", `{"builds": [{"src": "a.go"}]}`, []want{e("missing-property", `{"src"`)}, `"use"`},
		{"build unsupported", `{"builds": [{"src": "a.js", "use": "@vercel/node"}]}`, []want{w("build-use-unsupported", `"@vercel/node"`)}, ""},
		{"build bad glob and config", `{"builds": [{"src": "a[", "use": "@vercel/go", "config": 1, "x": 1}]}`, []want{e("build-src-glob", `"a["`), e("invalid-type", ": ^1,"), e("unknown-property", `"x"`)}, ""},

		{"build use too short", `{"builds": [{"use": "go"}]}`, []want{e("build-use", `"go"`)}, "@vercel/go"},

		// routes.
		{"route bad regexp", `{"routes": [{"src": "/(a", "dest": "/b"}]}`, []want{e("route-src-regexp", `"/(a"`)}, "missing closing )"},
		{"route lookbehind", `{"routes": [{"src": "/(?<=x)a"}]}`, []want{e("route-src-unsupported-regexp", `"/(?<=`)}, "lookbehind"},
		{"route backreference", `{"routes": [{"src": "/(a)\\1"}]}`, []want{e("route-src-unsupported-regexp", `"/(a)`)}, "backreference"},
		{"route named group is fine", `{"routes": [{"src": "/(?<id>[^/]+)", "dest": "/api?id=$id"}]}`, nil, ""},
		{"route handle", `{"routes": [{"handle": "files"}]}`, []want{e("route-handle", `"files"`)}, `"filesystem"`},
		{"route handle extra keys", `{"routes": [{"handle": "filesystem", "dest": "/x"}]}`, []want{e("route-handle-extra-keys", `"dest"`)}, ""},
		{"route without src", `{"routes": [{"dest": "/x"}]}`, []want{e("missing-property", `{"dest"`)}, `"src"`},
		{"route fields", `{"routes": [{"src": "/a", "status": 1000, "methods": "GET", "headers": {"x": 1}, "continue": 1}]}`,
			[]want{e("status-code", "1000"), e("invalid-type", `"GET"`), e("invalid-type", `"x": ^1`), e("invalid-type", `"continue": ^1`)}, ""},
		{"route unsupported property", `{"routes": [{"src": "/a", "locale": {}}]}`, []want{w("unsupported-property", `"locale"`)}, ""},
		{"routes mixed", "{\"routes\": [],\n \"cleanUrls\": true, \"rewrites\": []}", []want{e("routes-mixed", `"routes"`)}, `"rewrites" and "cleanUrls"`},

		// rewrites, redirects, headers.
		{"rewrite missing destination", `{"rewrites": [{"source": "/a"}]}`, []want{e("missing-property", `{"source"`)}, `"destination"`},
		{"rewrite source without slash", `{"rewrites": [{"source": "a", "destination": "/b"}]}`, []want{e("source-leading-slash", `"a"`)}, `write "/a"`},
		{"rewrite source too long", `{"rewrites": [{"source": "/` + strings.Repeat("a", 4096) + `", "destination": "/b"}]}`, []want{e("source-too-long", `"/aaa`)}, "4096"},
		{"destination too long", `{"rewrites": [{"source": "/a", "destination": "/` + strings.Repeat("b", 4096) + `"}]}`, []want{e("value-too-long", `"/bbb`)}, "4096"},
		{"rewrites too many", manyRewrites(2049), []want{e("too-many-entries", `"rewrites"`)}, "2048"},
		{"rewrite unknown property", `{"rewrites": [{"source": "/a", "destination": "/b", "dest": "/c"}]}`, []want{e("unknown-property", `"dest"`)}, ""},
		{"rewrite transforms", `{"rewrites": [{"source": "/a", "destination": "/b", "transforms": []}]}`, []want{w("unsupported-property", `"transforms"`)}, ""},
		{"rewrite service destination", `{"rewrites": [{"source": "/a", "destination": {"service": "api"}}]}`, []want{w("service-destination-unsupported", `{"service"`)}, ""},
		{"rewrite status code", `{"rewrites": [{"source": "/a", "destination": "/b", "statusCode": 99}]}`, []want{e("status-code", "99")}, ""},
		{"redirect status code", `{"redirects": [{"source": "/a", "destination": "/b", "statusCode": 304}]}`, []want{e("redirect-status-code", "304")}, "308"},
		{"redirect permanent and status", `{"redirects": [{"source": "/a", "destination": "/b", "permanent": true, "statusCode": 301}]}`, []want{e("redirect-permanent-and-status-code", `"statusCode"`)}, ""},
		{"redirect permanent type", `{"redirects": [{"source": "/a", "destination": "/b", "permanent": "yes"}]}`, []want{e("invalid-type", `"yes"`)}, ""},
		{"headers empty", `{"headers": [{"source": "/a", "headers": []}]}`, []want{e("headers-empty", "[]}")}, ""},
		{"header name with a space", `{"headers": [{"source": "/a", "headers": [{"key": "X Bad", "value": "1"}, {"key": "X-Ok", "value": "2"}]}]}`, []want{w("header-name-invalid", `"X Bad"`)}, "leaves it out"},
		{"header value with CRLF", `{"headers": [{"source": "/a", "headers": [{"key": "X-Split", "value": "a\r\nSet-Cookie: x=1"}]}]}`, []want{w("header-value-control", `"a\r`)}, "line break"},
		{"header name with a parameter is fine", `{"headers": [{"source": "/t/:tenant", "headers": [{"key": "x-:tenant-id", "value": "1"}]}]}`, nil, ""},
		{"header name with a colon alone", `{"headers": [{"source": "/a", "headers": [{"key": "x-a:", "value": "1"}]}]}`, []want{w("header-name-invalid", `"x-a:"`)}, ""},
		{"header value with a tab is fine", `{"headers": [{"source": "/a", "headers": [{"key": "X-Tab", "value": "a\tb"}]}]}`, nil, ""},
		{"route header name and value", `{"routes": [{"src": "/a", "headers": {"Bad:Name": "1", "X-Nul": "a\u0000"}}]}`, []want{w("header-name-invalid", `"Bad:Name"`), w("header-value-control", `"a\u0000"`)}, ""},
		{"header without value", `{"headers": [{"source": "/a", "headers": [{"key": "x"}]}]}`, []want{e("missing-property", `{"key"`)}, `"value"`},

		// has / missing.
		{"has type", `{"rewrites": [{"source": "/a", "destination": "/b", "has": [{"type": "ip", "key": "x"}]}]}`, []want{e("has-type", `"ip"`)}, `"host"`},
		{"has host with key", `{"rewrites": [{"source": "/a", "destination": "/b", "has": [{"type": "host", "key": "x", "value": "a.com"}]}]}`, []want{e("has-host-key", `"key"`)}, ""},
		{"has header without key", `{"rewrites": [{"source": "/a", "destination": "/b", "missing": [{"type": "header"}]}]}`, []want{e("missing-property", `{"type"`)}, `"key"`},
		{"has unsupported operator", `{"rewrites": [{"source": "/a", "destination": "/b", "has": [{"type": "query", "key": "n", "value": {"gt": 1}}]}]}`, []want{e("has-condition-unsupported", `"gt"`)}, ""},
		{"has empty condition", `{"rewrites": [{"source": "/a", "destination": "/b", "has": [{"type": "query", "key": "n", "value": {}}]}]}`, []want{e("has-condition-empty", "{}")}, ""},
		{"has value type", `{"rewrites": [{"source": "/a", "destination": "/b", "has": [{"type": "query", "key": "n", "value": 3}]}]}`, []want{e("invalid-type", "3")}, ""},

		// A syntax error mutes missing-property and cross-key checks: the
		// members may be in the unread part of the file.
		{"partial file", `{"builds": [{"src": "a.go"}], "functions": {"a.go": {"memory": 512}} x`, []want{e("json-syntax", "x")}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := []byte(tt.src)
			_, diags := Parse("vercel.json", src)
			checkDiags(t, "vercel.json", src, diags)
			var wantStrs []string
			for _, x := range tt.want {
				wantStrs = append(wantStrs, x.render(t, tt.src))
			}
			slices.Sort(wantStrs)
			if got := codes(diags); !slices.Equal(got, wantStrs) {
				t.Fatalf("diagnostics:\n got %q\nwant %q\nfull: %q", got, wantStrs, diagStrings(diags))
			}
			if tt.msg != "" && !strings.Contains(diags[0].Message, tt.msg) {
				t.Errorf("message %q does not contain %q", diags[0].Message, tt.msg)
			}
		})
	}
}

// TestDiagnosticText pins the full text of a few diagnostics on a
// multi-line file, as editors and the CLI show them.
func TestDiagnosticText(t *testing.T) {
	src := `{
  "functions": {
    "api/*.go": {"memory": 1024}
    "api/*.py": {"maxDuration": 901}
  },
  "cleanUrl": true
}`
	_, diags := Parse("vercel.json", []byte(src))
	got := diagStrings(diags)
	wantStrs := []string{
		`vercel.json:4:5: error: expected ',' or '}' after object member`,
		`vercel.json:4:33: error: functions["api/*.py"].maxDuration is 901 seconds; lambdalens caps it at 900, AWS Lambda's hard limit, so that the function also runs on plain Lambda (use "max" for the plan's maximum on Vercel)`,
		`vercel.json:6:3: warning: unknown key "cleanUrl" in vercel.json; did you mean "cleanUrls"?`,
	}
	if !slices.Equal(got, wantStrs) {
		t.Fatalf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(wantStrs, "\n"))
	}
}
