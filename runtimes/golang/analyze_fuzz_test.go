package golang

import (
	"os"
	"testing"
)

// FuzzAnalyzeGo checks that the analysis never panics and that every range
// it returns lies within the input, with line and column agreeing with the
// offset.
func FuzzAnalyzeGo(f *testing.F) {
	for _, s := range []string{
		"",
		"package handler\nimport \"net/http\"\nfunc Handler(w http.ResponseWriter, r *http.Request) {}\n",
		"package handler\nimport nh \"net/http\"\nfunc H(w *nh.ResponseWriter, r nh.Request) error { return nil }\n",
		"package handler\nimport . \"net/http\"\nfunc H(ResponseWriter, *Request) {}\nfunc I(ResponseWriter, *Request) {}\n",
		"package main\nfunc main() { _ = \"PORT\" }\n",
		"package main\n//line x.go:10:5\nfunc main( {\n",
		"\ufeffpackage p\r\nfunc Handler[T any](r *http.Request, w http.ResponseWriter) {}\r\n",
		"package p\nvar s = \"unterminated\nfunc F(",
		"package p\n/* never closed",
	} {
		f.Add([]byte(s))
	}
	if src, err := os.ReadFile("testdata/analyze/handler.go"); err == nil {
		f.Add(src)
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		for _, a := range []Analysis{AnalyzeFunction("api/f.go", src), AnalyzeServer("main.go", src)} {
			assertAnalysisRanges(t, src, a)
			if ep := a.Entrypoint; ep != nil && rangeText(src, ep.SymbolRange) != ep.Symbol {
				t.Fatalf("SymbolRange covers %q, Symbol is %q", rangeText(src, ep.SymbolRange), ep.Symbol)
			}
		}
	})
}
