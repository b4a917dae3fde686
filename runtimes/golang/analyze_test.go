package golang

import (
	"bytes"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/lambdalens/lambdalens/runtimes"
)

const apiHelloGo = "api/hello.go"

func TestAnalyzeFunction(t *testing.T) {
	tests := []struct {
		name string
		src  string
		// symbol is the expected handler; "" means no entrypoint.
		symbol string
		pkg    string
		// codes are the expected diagnostic codes, in order.
		codes []string
		// spans maps a code to the text its first diagnostic covers.
		spans map[string]string
		// messages must each appear in some diagnostic message.
		messages []string
	}{
		{
			name:   "plain handler",
			src:    "package handler\n\nimport \"net/http\"\n\nfunc Handler(w http.ResponseWriter, r *http.Request) {}\n",
			symbol: "Handler", pkg: "handler",
		},
		{
			name:   "any exported name",
			src:    "package api\nimport \"net/http\"\nfunc Serve(w http.ResponseWriter, r *http.Request) { w.Write(nil) }\n",
			symbol: "Serve", pkg: "api",
		},
		{
			name:   "aliased import",
			src:    "package handler\nimport nethttp \"net/http\"\nfunc Handler(w nethttp.ResponseWriter, r *nethttp.Request) {}\n",
			symbol: "Handler", pkg: "handler",
		},
		{
			name:   "dot import",
			src:    "package handler\nimport . \"net/http\"\nfunc Handler(w ResponseWriter, r *Request) {}\n",
			symbol: "Handler", pkg: "handler",
		},
		{
			name:   "net/http imported twice under two names",
			src:    "package handler\nimport (\n\t\"net/http\"\n\th2 \"net/http\"\n)\nvar _ = http.StatusOK\nfunc Handler(w h2.ResponseWriter, r *h2.Request) {}\n",
			symbol: "Handler", pkg: "handler",
		},
		{
			name:   "blank and unnamed params",
			src:    "package handler\nimport \"net/http\"\nfunc A(_ http.ResponseWriter, _ *http.Request) {}\n",
			symbol: "A", pkg: "handler",
		},
		{
			name:   "unnamed params",
			src:    "package handler\nimport \"net/http\"\nfunc A(http.ResponseWriter, *http.Request) {}\n",
			symbol: "A", pkg: "handler",
		},
		{
			name:   "parenthesized types",
			src:    "package handler\nimport \"net/http\"\nfunc A(w (http.ResponseWriter), r *(http.Request)) {}\n",
			symbol: "A", pkg: "handler",
		},
		{
			name:   "unexported funcs and methods are skipped",
			src:    "package handler\nimport \"net/http\"\ntype S struct{}\nfunc (S) Handler(w http.ResponseWriter, r *http.Request) {}\nfunc handler(w http.ResponseWriter, r *http.Request) {}\nfunc Real(w http.ResponseWriter, r *http.Request) {}\n",
			symbol: "Real", pkg: "handler",
		},
		{
			name:  "local ResponseWriter type without the import",
			src:   "package handler\ntype ResponseWriter interface{}\ntype Request struct{}\nfunc Handler(w ResponseWriter, r *Request) {}\n",
			codes: []string{CodeHandlerSignature},
			spans: map[string]string{CodeHandlerSignature: "Handler"},
			messages: []string{
				`the file does not import "net/http"`,
				"found `func Handler(w ResponseWriter, r *Request)`",
				"expected `func Handler(w http.ResponseWriter, r *http.Request)`",
			},
		},
		{
			name:     "local ResponseWriter type beside a normal import",
			src:      "package handler\nimport \"net/http\"\ntype ResponseWriter interface{}\nvar _ = http.StatusOK\nfunc Handler(w ResponseWriter, r *http.Request) {}\n",
			codes:    []string{CodeHandlerSignature},
			messages: []string{"the first parameter's ResponseWriter is not the one from net/http (imported here as http)"},
		},
		{
			name:     "blank import of net/http",
			src:      "package handler\nimport _ \"net/http\"\nfunc Handler(w http.ResponseWriter, r *http.Request) {}\n",
			codes:    []string{CodeHandlerSignature},
			messages: []string{`imports "net/http" only as _`},
		},
		{
			name:     "writer only",
			src:      "package handler\nimport \"net/http\"\nfunc Handler(w http.ResponseWriter) {\n\tw.WriteHeader(204)\n}\n",
			codes:    []string{CodeHandlerSignature},
			messages: []string{"it takes 1 parameter instead of 2", "found `func Handler(w http.ResponseWriter)`"},
		},
		{
			name:     "swapped parameters",
			src:      "package handler\nimport \"net/http\"\nfunc Handler(r *http.Request, w http.ResponseWriter) {}\n",
			codes:    []string{CodeHandlerSignature},
			messages: []string{"the parameters are in the wrong order"},
		},
		{
			name:     "request by value",
			src:      "package handler\nimport \"net/http\"\nfunc Handler(w http.ResponseWriter, r http.Request) {}\n",
			codes:    []string{CodeHandlerSignature},
			messages: []string{"the second parameter must be a pointer, *http.Request"},
		},
		{
			name:     "pointer to the writer, aliased",
			src:      "package handler\nimport nh \"net/http\"\nfunc Handler(w *nh.ResponseWriter, r *nh.Request) {}\n",
			codes:    []string{CodeHandlerSignature},
			messages: []string{"must be nh.ResponseWriter, not a pointer to it", "expected `func Handler(w nh.ResponseWriter, r *nh.Request)`"},
		},
		{
			name:     "three parameters under another name",
			src:      "package handler\nimport (\"context\"; \"net/http\")\nfunc Serve(ctx context.Context, w http.ResponseWriter, r *http.Request) {}\n",
			codes:    []string{CodeHandlerSignature},
			messages: []string{"it takes 3 parameters instead of 2", "expected `func Serve(w http.ResponseWriter, r *http.Request)`"},
		},
		{
			name:     "returns an error",
			src:      "package handler\nimport \"net/http\"\nfunc Handler(w http.ResponseWriter, r *http.Request) error { return nil }\n",
			codes:    []string{CodeHandlerSignature},
			messages: []string{"a handler returns nothing", "found `func Handler(w http.ResponseWriter, r *http.Request) error`"},
		},
		{
			name:     "type parameters",
			src:      "package handler\nimport \"net/http\"\nfunc Handler[T any](w http.ResponseWriter, r *http.Request) {}\n",
			codes:    []string{CodeHandlerSignature},
			messages: []string{"cannot have type parameters"},
		},
		{
			name:   "a near miss beside a valid handler is not reported",
			src:    "package handler\nimport \"net/http\"\nfunc Handler(w http.ResponseWriter) {}\nfunc Other(w http.ResponseWriter, r *http.Request) {}\n",
			symbol: "Other", pkg: "handler",
		},
		{
			name:     "package main",
			src:      "package main\n\nimport \"net/http\"\n\nfunc Handler(w http.ResponseWriter, r *http.Request) {}\n",
			symbol:   "Handler",
			pkg:      "main",
			codes:    []string{CodePackageMain},
			spans:    map[string]string{CodePackageMain: "package main"},
			messages: []string{"api/ functions must not be package main: change it to `package handler` (any name but main works)"},
		},
		{
			name:     "multiple handlers",
			src:      "package handler\nimport \"net/http\"\nfunc First(w http.ResponseWriter, r *http.Request) {}\nfunc Second(w http.ResponseWriter, r *http.Request) {}\nfunc Third(http.ResponseWriter, *http.Request) {}\n",
			symbol:   "First",
			pkg:      "handler",
			codes:    []string{CodeMultipleHandlers, CodeMultipleHandlers},
			spans:    map[string]string{CodeMultipleHandlers: "Second"},
			messages: []string{"First is used (the first one) and Second is not", "Third also has the handler signature"},
		},
		{
			name:     "helper file",
			src:      "package handler\n\nimport \"net/http\"\n\nfunc WriteJSON(w http.ResponseWriter, v any) {}\nfunc shout(s string) string { return s }\n",
			codes:    []string{CodeHelperFile},
			spans:    map[string]string{CodeHelperFile: "package handler"},
			messages: []string{"no exported func(http.ResponseWriter, *http.Request): this file is compiled with its package but is not a function"},
		},
		{
			name:     "unexported handler in a helper file",
			src:      "package handler\nimport \"net/http\"\nfunc handler(w http.ResponseWriter, r *http.Request) {}\n",
			codes:    []string{CodeHelperFile},
			messages: []string{"func handler has the signature but is not exported: rename it to Handler"},
		},
		{
			name:     "helper in package main",
			src:      "package main\nfunc helper() {}\n",
			codes:    []string{CodePackageMain, CodeHelperFile},
			messages: []string{"not a function"},
		},
		{
			name:   "syntax error elsewhere",
			src:    "package syntax\n\nimport \"net/http\"\n\nfunc Handler(w http.ResponseWriter, r *http.Request) {}\n\nfunc broken( {\n}\n",
			symbol: "Handler", pkg: "syntax",
			// The parser's follow-on complaint on the next line is kept.
			codes: []string{CodeSyntax, CodeSyntax},
			spans: map[string]string{CodeSyntax: "{"},
		},
		{
			name:   "syntax error inside the handler body",
			src:    "package handler\nimport \"net/http\"\nfunc Handler(w http.ResponseWriter, r *http.Request) {\n\tx := \n}\n",
			symbol: "Handler", pkg: "handler",
			codes: []string{CodeSyntax},
		},
		{
			name:  "half-typed handler declaration: no guesses beyond the syntax error",
			src:   "package handler\nimport \"net/http\"\nfunc Handler(w http.ResponseWriter, r *http.Req\n",
			codes: []string{CodeSyntax},
		},
		{
			name:  "unterminated string",
			src:   "package handler\nimport \"net/http\"\nvar s = \"abc\nfunc Handler(w http.ResponseWriter, r *http.Request) {}\n",
			codes: []string{CodeSyntax},
			// The parser stays in sync after the broken line.
			symbol: "Handler", pkg: "handler",
		},
		// Issue: an empty file was reported as "expected ';', found 'EOF'".
		{
			name:     "empty file",
			src:      "",
			codes:    []string{CodeSyntax},
			messages: []string{"the file is empty", "`package handler`"},
		},
		{
			name:     "blank lines only",
			src:      "\n\n  \n",
			codes:    []string{CodeSyntax},
			messages: []string{"the file is empty", "`package handler`"},
		},
		{
			name:     "comments only",
			src:      "// Package handler does things.\n/* more */\n",
			codes:    []string{CodeSyntax},
			messages: []string{"only comments and no package clause", "`package handler`"},
		},
		{
			name:     "not Go at all",
			src:      "<?php echo 1; ?>\n",
			codes:    []string{CodeSyntax},
			spans:    map[string]string{CodeSyntax: "<"},
			messages: []string{`expected the package clause, found "<"`},
		},
		{
			name:     "code before the package clause",
			src:      "// hi\nfunc Handler() {}\n",
			codes:    []string{CodeSyntax},
			spans:    map[string]string{CodeSyntax: "func"},
			messages: []string{`expected the package clause, found "func"`, "`package handler`"},
		},
		{
			name:     "unterminated comment first",
			src:      "/* never closed\n",
			codes:    []string{CodeSyntax},
			messages: []string{"comment not terminated"},
		},
		{
			name:   "line directive does not move positions",
			src:    "package handler\nimport \"net/http\"\n//line other.go:100:1\nfunc Handler(w http.ResponseWriter, r *http.Request) {}\n",
			symbol: "Handler", pkg: "handler",
		},
		{
			name:   "byte order mark and CRLF",
			src:    "\ufeffpackage handler\r\n\r\nimport \"net/http\"\r\n\r\nfunc Handler(w http.ResponseWriter, r *http.Request) {}\r\n",
			symbol: "Handler", pkg: "handler",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := []byte(tt.src)
			a := AnalyzeFunction(apiHelloGo, src)
			assertAnalysisRanges(t, src, a)
			switch {
			case tt.symbol == "" && a.Entrypoint != nil:
				t.Errorf("entrypoint = %+v, want none", *a.Entrypoint)
			case tt.symbol != "" && a.Entrypoint == nil:
				t.Errorf("no entrypoint, want %s", tt.symbol)
			case tt.symbol != "":
				ep := a.Entrypoint
				if ep.Symbol != tt.symbol || ep.Package != tt.pkg || ep.Kind != runtimes.KindFunction || ep.Language != runtimes.Go {
					t.Errorf("entrypoint = %+v, want function %s in package %s", *ep, tt.symbol, tt.pkg)
				}
				if got := rangeText(src, ep.SymbolRange); got != tt.symbol {
					t.Errorf("SymbolRange covers %q, want %q", got, tt.symbol)
				}
			}
			assertDiagnostics(t, src, a.Diagnostics, tt.codes, tt.spans, tt.messages)
		})
	}
}

func TestAnalyzeServer(t *testing.T) {
	tests := []struct {
		name     string
		src      string
		want     bool // an entrypoint is expected
		codes    []string
		spans    map[string]string
		messages []string
	}{
		{
			name: "server reading PORT",
			src:  "package main\n\nimport (\n\t\"net/http\"\n\t\"os\"\n)\n\nfunc main() {\n\thttp.ListenAndServe(\":\"+os.Getenv(\"PORT\"), nil)\n}\n",
			want: true,
		},
		{
			name:     "no PORT",
			src:      "package main\nimport \"net/http\"\nfunc main() { http.ListenAndServe(\":8080\", nil) }\n",
			want:     true,
			codes:    []string{CodeServerPort},
			spans:    map[string]string{CodeServerPort: "main"},
			messages: []string{`read it with os.Getenv("PORT")`},
		},
		{
			name:     "not package main",
			src:      "package server\nfunc main() { _ = \"PORT\" }\n",
			codes:    []string{CodeServerNotMain},
			spans:    map[string]string{CodeServerNotMain: "package server"},
			messages: []string{"must be package main, not package server"},
		},
		{
			name:     "no func main",
			src:      "package main\ntype S struct{}\nfunc (S) main() {}\nvar PORT = 1\n",
			codes:    []string{CodeServerNoMain},
			spans:    map[string]string{CodeServerNoMain: "package main"},
			messages: []string{"no func main"},
		},
		{
			name:     "empty server",
			src:      "",
			codes:    []string{CodeSyntax, CodeServerPort},
			messages: []string{"the file is empty", "`package main`"},
		},
		{
			name:  "syntax error elsewhere",
			src:   "package main\nimport \"os\"\nfunc main() { _ = os.Getenv(\"PORT\") }\nfunc broken( {\n",
			want:  true,
			codes: []string{CodeSyntax},
		},
		{
			name:  "broken before func main: no guess about main",
			src:   "package main\nfunc helper( {\nfunc main() { _ = \"PORT\" }\n",
			codes: []string{CodeSyntax},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := []byte(tt.src)
			a := AnalyzeServer("cmd/api/main.go", src)
			assertAnalysisRanges(t, src, a)
			if tt.want != (a.Entrypoint != nil) {
				t.Fatalf("entrypoint = %+v, want present=%v", a.Entrypoint, tt.want)
			}
			if ep := a.Entrypoint; ep != nil {
				if ep.Kind != runtimes.KindServer || ep.Symbol != "main" || ep.Package != "main" || rangeText(src, ep.SymbolRange) != "main" {
					t.Errorf("entrypoint = %+v covering %q", *ep, rangeText(src, ep.SymbolRange))
				}
			}
			assertDiagnostics(t, src, a.Diagnostics, tt.codes, tt.spans, tt.messages)
		})
	}
}

func TestAnalyzeImports(t *testing.T) {
	src := []byte("package handler\nimport (\n\t\"fmt\"\n\tnh \"net/http\"\n\t_ \"embed\"\n\t. \"example.com/m/lib/greet\"\n)\nimport \"os\"\n")
	got := AnalyzeFunction(apiHelloGo, src).Imports
	want := []string{"fmt", "net/http", "embed", "example.com/m/lib/greet", "os"}
	if !slices.Equal(got, want) {
		t.Errorf("Imports = %q, want %q", got, want)
	}
}

// TestAnalyzeSyntaxPosition checks a syntax diagnostic's exact place and
// that follow-on errors are capped.
func TestAnalyzeSyntaxPosition(t *testing.T) {
	var b strings.Builder
	b.WriteString("package handler\n\nvar a = 1\nvar x = )\n")
	for range 20 {
		b.WriteString("var y = ]\n")
	}
	src := []byte(b.String())
	a := AnalyzeFunction(apiHelloGo, src)
	assertAnalysisRanges(t, src, a)
	if len(a.Diagnostics) != maxSyntaxDiagnostics {
		t.Fatalf("got %d diagnostics, want %d: %v", len(a.Diagnostics), maxSyntaxDiagnostics, a.Diagnostics)
	}
	first := a.Diagnostics[0]
	if first.Range.Start.Line != 4 || first.Range.Start.Column != 9 || rangeText(src, first.Range) != ")" {
		t.Errorf("first syntax error at %+v covering %q, want 4:9 covering \")\"", first.Range.Start, rangeText(src, first.Range))
	}
}

// assertAnalysisRanges checks invariants that hold for any input: ranges lie in
// the input, are ordered, and their line and column agree with the offset.
func assertAnalysisRanges(t testing.TB, src []byte, a Analysis) {
	t.Helper()
	if a.Entrypoint != nil {
		assertRangeInInput(t, src, a.Entrypoint.SymbolRange)
	}
	for _, d := range a.Diagnostics {
		assertRangeInInput(t, src, d.Range)
		if d.File == "" || d.Code == "" || d.Message == "" {
			t.Errorf("incomplete diagnostic %+v", d)
		}
		for _, r := range d.Related {
			assertRangeInInput(t, src, r.Range)
		}
	}
}

func assertRangeInInput(t testing.TB, src []byte, r runtimes.Range) {
	t.Helper()
	if r.Start.Offset < 0 || r.Start.Offset > r.End.Offset || r.End.Offset > len(src) {
		t.Fatalf("range %+v outside input of %d bytes", r, len(src))
	}
	for _, p := range []runtimes.Position{r.Start, r.End} {
		if want := bytePosition(src, p.Offset); p != want {
			t.Fatalf("position %+v, want %+v", p, want)
		}
	}
}

// bytePosition computes a Position independently of the code under test:
// lines end at '\n', columns count bytes.
func bytePosition(src []byte, off int) runtimes.Position {
	line := 1 + bytes.Count(src[:off], []byte("\n"))
	col := off - (bytes.LastIndexByte(src[:off], '\n') + 1) + 1
	return runtimes.Position{Line: line, Column: col, Offset: off}
}

func rangeText(src []byte, r runtimes.Range) string { return string(src[r.Start.Offset:r.End.Offset]) }

func assertDiagnostics(t *testing.T, src []byte, diags []runtimes.Diagnostic, codes []string, spans map[string]string, messages []string) {
	t.Helper()
	var got []string
	for _, d := range diags {
		got = append(got, d.Code)
	}
	if !slices.Equal(got, codes) {
		t.Errorf("codes = %q, want %q\n%v", got, codes, diags)
	}
	for code, want := range spans {
		i := slices.IndexFunc(diags, func(d runtimes.Diagnostic) bool { return d.Code == code })
		if i < 0 {
			continue // reported above
		}
		if s := rangeText(src, diags[i].Range); s != want {
			t.Errorf("%s covers %q, want %q", code, s, want)
		}
	}
	for _, m := range messages {
		if !slices.ContainsFunc(diags, func(d runtimes.Diagnostic) bool { return strings.Contains(d.Message, m) }) {
			t.Errorf("no diagnostic says %q:\n%v", m, diags)
		}
	}
}

func BenchmarkAnalyzeFunction(b *testing.B) {
	src, err := os.ReadFile("testdata/analyze/handler.go")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		a := AnalyzeFunction("api/users/[id].go", src)
		if a.Entrypoint == nil {
			b.Fatal("no entrypoint")
		}
	}
}
