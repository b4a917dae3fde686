package python

import (
	"os"
	"testing"
)

// FuzzAnalyzePython checks that the analysis never panics and that every
// range it returns lies within the input, with line and column agreeing
// with the offset.
func FuzzAnalyzePython(f *testing.F) {
	for _, c := range pyCases {
		f.Add([]byte(c.src))
	}
	for _, s := range []string{
		"f'{f\"{f'{x}'}\"}'",
		"x = f'''{\n'''",
		"x = '''\n\"\"\"\n'''\"\"\"",
		"x = (\\\r\nclass handler(\r",
		"\ufeff\f\tapp = \\",
		"from .. import (a as app,",
	} {
		f.Add([]byte(s))
	}
	if src, err := os.ReadFile("testdata/analyze/fastapi_app.py"); err == nil {
		f.Add(src)
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		for _, a := range []Analysis{AnalyzeFunction("api/f.py", src), AnalyzeApp("app.py", src)} {
			assertPyRanges(t, src, a)
			if ep := a.Entrypoint; ep != nil && pyRangeText(src, ep.SymbolRange) != ep.Symbol {
				t.Fatalf("SymbolRange covers %q, Symbol is %q", pyRangeText(src, ep.SymbolRange), ep.Symbol)
			}
		}
	})
}
