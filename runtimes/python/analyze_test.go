package python

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/lambdalens/lambdalens/runtimes"
)

const apiIndexPy = "api/index.py"

type pyCase struct {
	name string
	src  string
	// app selects AnalyzeApp instead of AnalyzeFunction.
	app bool
	// symbol is the expected entrypoint; "" means none.
	symbol    string
	appKind   runtimes.AppKind
	framework string
	// codes are the expected diagnostic codes, in order.
	codes []string
	// spans maps a code to the text its first diagnostic covers.
	spans map[string]string
	// messages must each appear in some diagnostic message.
	messages []string
}

var pyCases = []pyCase{
	// Frameworks, imports and aliases.
	{name: "fastapi", src: "from fastapi import FastAPI\n\napp = FastAPI()\n", symbol: "app", appKind: runtimes.AppASGI, framework: "fastapi"},
	{name: "aliased class", src: "from fastapi import FastAPI as F\napp = F(title=\"x\")\n", symbol: "app", appKind: runtimes.AppASGI, framework: "fastapi"},
	{name: "module import", src: "import fastapi\napp = fastapi.FastAPI()\n", symbol: "app", appKind: runtimes.AppASGI, framework: "fastapi"},
	{name: "aliased module", src: "import fastapi as fa\napp = fa.FastAPI()\n", symbol: "app", appKind: runtimes.AppASGI, framework: "fastapi"},
	{name: "flask", src: "from flask import Flask\napp = Flask(__name__)\n", symbol: "app", appKind: runtimes.AppWSGI, framework: "flask"},
	{name: "django wsgi", src: "import os\nfrom django.core.wsgi import get_wsgi_application\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'mysite.settings')\napplication = get_wsgi_application()\n", symbol: "application", appKind: runtimes.AppWSGI, framework: "django"},
	{name: "django asgi", src: "from django.core.asgi import get_asgi_application\napplication = get_asgi_application()\n", symbol: "application", appKind: runtimes.AppASGI, framework: "django"},
	{name: "starlette submodule", src: "from starlette.applications import Starlette\napp = Starlette(routes=[])\n", symbol: "app", appKind: runtimes.AppASGI, framework: "starlette"},
	{name: "quart", src: "from quart import Quart\napp = Quart(__name__)\n", symbol: "app", appKind: runtimes.AppASGI, framework: "quart"},
	{name: "litestar", src: "from litestar import Litestar, get\napp = Litestar([index])\n", symbol: "app", appKind: runtimes.AppASGI, framework: "litestar"},
	{name: "sanic", src: "from sanic import Sanic\napp = Sanic(\"svc\")\n", symbol: "app", appKind: runtimes.AppASGI, framework: "sanic"},
	{name: "falcon asgi and wsgi", src: "import falcon\nimport falcon.asgi\napp = falcon.asgi.App()\napplication = falcon.App()\n", symbol: "app", appKind: runtimes.AppASGI, framework: "falcon",
		codes: []string{CodeMultipleEntrypoints}},
	{name: "unresolved distinctive name", src: "from somewhere import *\napp = Flask(__name__)\n", symbol: "app", appKind: runtimes.AppWSGI, framework: "flask"},
	{name: "a FastAPI from elsewhere is not fastapi", src: "from mylib import FastAPI\napp = FastAPI()\n", symbol: "app", appKind: runtimes.AppUnknown},
	{name: "factory call: decided at run time", src: "from myapp import create_app\napp = create_app()\n", symbol: "app", appKind: runtimes.AppUnknown},
	{name: "alias through another name", src: "from fastapi import FastAPI\napi = FastAPI()\napp = api\n", symbol: "app", appKind: runtimes.AppASGI, framework: "fastapi"},
	{name: "last classifiable binding wins", src: "app = make()\nfrom fastapi import FastAPI\napp = FastAPI()\n", symbol: "app", appKind: runtimes.AppASGI, framework: "fastapi",
		spans: map[string]string{}},

	// Binding forms.
	{name: "annotated assignment", src: "from fastapi import FastAPI\napp: FastAPI = FastAPI()\n", symbol: "app", appKind: runtimes.AppASGI, framework: "fastapi"},
	{name: "annotation without a value binds nothing", src: "from fastapi import FastAPI\napp: FastAPI\n", codes: []string{CodeNoEntrypoint}},
	{name: "from import", src: "from .server import app\n", symbol: "app", appKind: runtimes.AppUnknown},
	{name: "from import as", src: "from server import (\n    make,\n    api as app,\n)\n", symbol: "app", appKind: runtimes.AppUnknown},
	{name: "import as", src: "import myproject.wsgi as application\n", symbol: "application", appKind: runtimes.AppUnknown},
	{name: "plain import of a module named app binds a module", src: "import app\n", codes: []string{CodeNoEntrypoint}},
	{name: "wsgi function", src: "def app(environ, start_response):\n    start_response('200 OK', [])\n    return [b'hi']\n", symbol: "app", appKind: runtimes.AppWSGI},
	{name: "asgi function", src: "async def app(scope, receive, send):\n    pass\n", symbol: "app", appKind: runtimes.AppASGI},
	{name: "sync function with three parameters", src: "def app(scope, receive, send): pass\n", symbol: "app", appKind: runtimes.AppUnknown},
	{name: "keyword-only parameters do not count", src: "async def app(scope, *, receive, send): pass\n", symbol: "app", appKind: runtimes.AppUnknown},
	{name: "decorated, type parameters, defaults", src: "@wraps\ndef app[T](environ, start_response=None, /):\n    ...\n", symbol: "app", appKind: runtimes.AppWSGI},
	{name: "handler class", src: "from http.server import BaseHTTPRequestHandler\n\nclass handler(BaseHTTPRequestHandler):\n    def do_GET(self):\n        pass\n", symbol: "handler", appKind: runtimes.AppHandler},
	{name: "Handler class through the module", src: "import http.server\nclass Handler(Mixin, http.server.BaseHTTPRequestHandler, metaclass=M):\n    pass\n", symbol: "Handler", appKind: runtimes.AppHandler},
	{name: "handler class via star import", src: "from http.server import *\nclass handler(SimpleHTTPRequestHandler): pass\n", symbol: "handler", appKind: runtimes.AppHandler},
	{name: "handler class of another base", src: "class HANDLER(object):\n    pass\n", symbol: "HANDLER", appKind: runtimes.AppUnknown},
	{name: "chained assignment", src: "from flask import Flask\napp = application = Flask(__name__)\n", symbol: "app", appKind: runtimes.AppWSGI, framework: "flask",
		codes: []string{CodeMultipleEntrypoints}, spans: map[string]string{CodeMultipleEntrypoints: "application"}},
	{name: "semicolons", src: "import flask; app = flask.Flask(__name__)\n", symbol: "app", appKind: runtimes.AppWSGI, framework: "flask"},
	{name: "tuple, attribute and comparison are not bindings", src: "app, x = 1, 2\napp.debug = True\napp == 3\napp += 1\n", codes: []string{CodeNoEntrypoint}},
	{name: "indented bindings do not count", src: "if True:\n    app = Flask(__name__)\ndef make():\n    app = 1\n    return app\n", codes: []string{CodeNoEntrypoint}},

	// Priority.
	{name: "app wins over handler", src: "from http.server import BaseHTTPRequestHandler\nclass handler(BaseHTTPRequestHandler): pass\napp = handler\n", symbol: "app", appKind: runtimes.AppUnknown,
		codes: []string{CodeMultipleEntrypoints}, spans: map[string]string{CodeMultipleEntrypoints: "handler"},
		messages: []string{"class handler is defined too, but app is the entrypoint"}},
	{name: "application wins over handler", src: "class handler: pass\napplication = get_wsgi_application()\n", symbol: "application", appKind: runtimes.AppWSGI, framework: "django",
		codes: []string{CodeMultipleEntrypoints}},

	// No entrypoint.
	{name: "helper module", src: "\"\"\"Helpers.\"\"\"\n\ndef helper():\n    return 42\n", codes: []string{CodeNoEntrypoint},
		spans:    map[string]string{CodeNoEntrypoint: "\"\"\"Helpers.\"\"\""},
		messages: []string{"api/index.py defines no top-level `app`, `application` or class `handler`, so it is not a function"}},
	{name: "aws-style handler function", src: "def handler(event, context):\n    return {}\n", codes: []string{CodeNoEntrypoint},
		messages: []string{"`handler` on line 1 does not count: it must be a class"}},
	{name: "empty file", src: "", codes: []string{CodeNoEntrypoint}, spans: map[string]string{CodeNoEntrypoint: ""}},
	{name: "app only in strings and comments", src: "'''\napp = Flask(__name__)\n'''\n# app = 1\nx = \"app = 2\"\n", codes: []string{CodeNoEntrypoint}},
	{name: "app candidate without app", app: true, src: "import os\nprint(os.getcwd())\n"},
	{name: "app candidate", app: true, src: "from fastapi import FastAPI\napp = FastAPI()\n", symbol: "app", appKind: runtimes.AppASGI, framework: "fastapi"},

	// Lexical details.
	{name: "f-string with nested quotes (3.12)", src: "x = f\"{d[\"k\"]} and {y!r:>{w}}\"\napp = Flask(__name__)\n", symbol: "app", appKind: runtimes.AppWSGI, framework: "flask"},
	{name: "format spec with the other quote", src: "x = f\"{v:'^10}\" + f'{a[\"b\"]}'\napp = Flask(__name__)\n", symbol: "app", appKind: runtimes.AppWSGI, framework: "flask"},
	{name: "triple-quoted f-string over lines", src: "x = f\"\"\"\n{1 +\n 2}\napp = 1\n\"\"\"\napp = Flask(__name__)\n", symbol: "app", appKind: runtimes.AppWSGI, framework: "flask"},
	{name: "raw and bytes prefixes", src: "x = r\"\\d+\\\"\" + Rb'\\x00' + u'é'\napp = Flask(__name__)\n", symbol: "app", appKind: runtimes.AppWSGI, framework: "flask"},
	{name: "escaped newline inside a string", src: "x = 'abc\\\ndef'\napp = Flask(__name__)\n", symbol: "app", appKind: runtimes.AppWSGI, framework: "flask"},
	{name: "backslash continuation", src: "app = \\\n    Flask(__name__)\n", symbol: "app", appKind: runtimes.AppWSGI, framework: "flask"},
	{name: "chained assignment over a backslash", src: "x = \\\napp = Flask(__name__)\n", symbol: "app", appKind: runtimes.AppWSGI, framework: "flask"},
	{name: "call over several lines", src: "app = FastAPI(\n    title='x',\n    version=\"1\",\n)\n", symbol: "app", appKind: runtimes.AppASGI, framework: "fastapi"},
	{name: "keyword argument at column 0 is not a statement", src: "app = FastAPI(\ntitle=\"x\",\n)\n", symbol: "app", appKind: runtimes.AppASGI, framework: "fastapi"},
	{name: "BOM, CRLF, tabs and form feed", src: "\ufefffrom flask import Flask\r\n\r\nif x:\r\n\tapp = 1\r\n\fapp = Flask(__name__)\r\n", symbol: "app", appKind: runtimes.AppWSGI, framework: "flask"},
	{name: "lone CR line endings", src: "import flask\rapp = flask.Flask(__name__)\r", symbol: "app", appKind: runtimes.AppWSGI, framework: "flask"},
	{name: "non-UTF-8 bytes", src: "x = '\xff\xfe'\n\xff\xc3x = 1\napp = Flask(__name__)\n", symbol: "app", appKind: runtimes.AppWSGI, framework: "flask"},

	// Half-typed code.
	{name: "unterminated string", src: "x = \"abc\napp = Flask(__name__)\n", symbol: "app", appKind: runtimes.AppWSGI, framework: "flask",
		codes: []string{CodeSyntax}, spans: map[string]string{CodeSyntax: "\"abc"}, messages: []string{"unterminated string literal"}},
	{name: "unclosed bracket before an assignment", src: "cors = CORSMiddleware(\napp = FastAPI()\n", symbol: "app", appKind: runtimes.AppASGI, framework: "fastapi",
		codes: []string{CodeSyntax}, spans: map[string]string{CodeSyntax: "("}, messages: []string{"`(` is never closed (line 2 starts a new statement)"}},
	{name: "unclosed bracket before a decorator", src: "app = FastAPI(\n\n@app.get(\"/\")\ndef root():\n    return {}\n", symbol: "app", appKind: runtimes.AppASGI, framework: "fastapi",
		codes: []string{CodeSyntax}, messages: []string{"line 3 starts a new statement"}},
	{name: "unclosed bracket in indented code", src: "def f():\n    x = g(\n    return 1\napp = Flask(__name__)\n", symbol: "app", appKind: runtimes.AppWSGI, framework: "flask",
		codes: []string{CodeSyntax}},
	{name: "unclosed bracket at EOF", src: "app = Flask(\n", symbol: "app", appKind: runtimes.AppWSGI, framework: "flask",
		codes: []string{CodeSyntax}, messages: []string{"`(` is never closed"}},
	{name: "unterminated triple-quoted string", src: "\"\"\"Docs.\n\nclass handler(BaseHTTPRequestHandler):\n    pass\n", symbol: "handler", appKind: runtimes.AppHandler,
		codes: []string{CodeSyntax}, spans: map[string]string{CodeSyntax: "\"\"\"Docs."}, messages: []string{"unterminated triple-quoted string (line 3 starts a new statement)"}},
	{name: "unmatched and mismatched brackets", src: "x = 1)\ny = [1, 2)\napp = Flask(__name__)\n", symbol: "app", appKind: runtimes.AppWSGI, framework: "flask",
		codes: []string{CodeSyntax, CodeSyntax}, messages: []string{"unmatched `)`", "`)` does not match `[` on line 2"}},
	{name: "mismatched closer inside nested brackets", src: "x = f(a[1)\napp = Flask(__name__)\n", symbol: "app", appKind: runtimes.AppWSGI, framework: "flask",
		codes: []string{CodeSyntax}, spans: map[string]string{CodeSyntax: ")"}},
	{name: "unterminated string in indented code is not reported", src: "def f():\n    return 'abc\napp = Flask(__name__)\n", symbol: "app", appKind: runtimes.AppWSGI, framework: "flask"},
	{name: "half-typed from import", src: "from fastapi imp\napp = 1\n", symbol: "app", appKind: runtimes.AppUnknown},
	{name: "f-string field cut by a newline", src: "x = f\"{name\napp = Flask(__name__)\n", symbol: "app", appKind: runtimes.AppWSGI, framework: "flask",
		codes: []string{CodeSyntax}},
}

func TestAnalyze(t *testing.T) {
	for _, tt := range pyCases {
		t.Run(tt.name, func(t *testing.T) {
			src := []byte(tt.src)
			var a Analysis
			wantKind := runtimes.KindFunction
			if tt.app {
				a, wantKind = AnalyzeApp("main.py", src), runtimes.KindApp
			} else {
				a = AnalyzeFunction(apiIndexPy, src)
			}
			assertPyRanges(t, src, a)
			ep := a.Entrypoint
			switch {
			case tt.symbol == "" && ep != nil:
				t.Errorf("entrypoint = %+v, want none", *ep)
			case tt.symbol != "" && ep == nil:
				t.Errorf("no entrypoint, want %s", tt.symbol)
			case ep != nil:
				want := runtimes.Entrypoint{Language: runtimes.Python, Kind: wantKind, Symbol: tt.symbol,
					SymbolRange: ep.SymbolRange, AppKind: tt.appKind, Framework: tt.framework}
				if *ep != want {
					t.Errorf("entrypoint = %+v, want %+v", *ep, want)
				}
				if got := pyRangeText(src, ep.SymbolRange); got != tt.symbol {
					t.Errorf("SymbolRange covers %q, want %q", got, tt.symbol)
				}
			}
			var codes []string
			for _, d := range a.Diagnostics {
				codes = append(codes, d.Code)
			}
			if !slices.Equal(codes, tt.codes) {
				t.Errorf("codes = %q, want %q\n%v", codes, tt.codes, a.Diagnostics)
			}
			for code, want := range tt.spans {
				i := slices.IndexFunc(a.Diagnostics, func(d runtimes.Diagnostic) bool { return d.Code == code })
				if i >= 0 && pyRangeText(src, a.Diagnostics[i].Range) != want {
					t.Errorf("%s covers %q, want %q", code, pyRangeText(src, a.Diagnostics[i].Range), want)
				}
			}
			for _, m := range tt.messages {
				if !slices.ContainsFunc(a.Diagnostics, func(d runtimes.Diagnostic) bool { return strings.Contains(d.Message, m) }) {
					t.Errorf("no diagnostic says %q:\n%v", m, a.Diagnostics)
				}
			}
		})
	}
}

func TestAnalyzeImports(t *testing.T) {
	src := []byte(`"""Module."""
import os, os.path as osp
import api.lib.db
from . import util, models as m
from .helpers import slugify
from .. import shared
from fastapi import (
    FastAPI,
    Depends,
)
from x import *
try:
    import ujson as json
except ImportError:
    import json
def f():
    from lazy import thing
import os
`)
	got := AnalyzeFunction(apiIndexPy, src).Imports
	want := []string{"os", "os.path", "api.lib.db", ".util", ".models", ".helpers", "..shared", "fastapi", "x", "ujson", "json", "lazy"}
	if !slices.Equal(got, want) {
		t.Errorf("Imports = %q\nwant      %q", got, want)
	}
}

// TestAnalyzePositions pins exact positions: byte columns after multi-byte
// characters, CRLF, and a line that starts after a lone CR.
func TestAnalyzePositions(t *testing.T) {
	src := []byte("# é\r\nx = 'é'; app = Flask(__name__)\r")
	a := AnalyzeFunction(apiIndexPy, src)
	if a.Entrypoint == nil {
		t.Fatal("no entrypoint")
	}
	want := runtimes.Range{
		Start: runtimes.Position{Line: 2, Column: 11, Offset: 16},
		End:   runtimes.Position{Line: 2, Column: 14, Offset: 19},
	}
	if a.Entrypoint.SymbolRange != want {
		t.Errorf("SymbolRange = %+v, want %+v", a.Entrypoint.SymbolRange, want)
	}
}

// TestAnalyzeManyProblems checks that py-syntax diagnostics are capped and
// that a file made of unterminated strings is scanned in linear time (a
// quadratic scan would take seconds here).
func TestAnalyzeManyProblems(t *testing.T) {
	var b strings.Builder
	for range 20000 {
		b.WriteString("x = '''\ndef f(\n\"\"\"\n")
	}
	b.WriteString("app = Flask(__name__)\n")
	src := []byte(b.String())
	a := AnalyzeFunction(apiIndexPy, src)
	assertPyRanges(t, src, a)
	if len(a.Diagnostics) != maxSyntaxDiagnostics {
		t.Errorf("got %d diagnostics, want %d", len(a.Diagnostics), maxSyntaxDiagnostics)
	}
	if a.Entrypoint == nil || a.Entrypoint.AppKind != runtimes.AppWSGI {
		t.Errorf("entrypoint = %+v, want the WSGI app at the end", a.Entrypoint)
	}
}

// assertPyRanges checks invariants that hold for any input: ranges lie in
// the input, are ordered, and line and column agree with the offset.
func assertPyRanges(t testing.TB, src []byte, a Analysis) {
	t.Helper()
	var ranges []runtimes.Range
	if a.Entrypoint != nil {
		ranges = append(ranges, a.Entrypoint.SymbolRange)
	}
	for _, d := range a.Diagnostics {
		if d.File == "" || d.Code == "" || d.Message == "" {
			t.Errorf("incomplete diagnostic %+v", d)
		}
		ranges = append(ranges, d.Range)
		for _, r := range d.Related {
			ranges = append(ranges, r.Range)
		}
	}
	for _, r := range ranges {
		if r.Start.Offset < 0 || r.Start.Offset > r.End.Offset || r.End.Offset > len(src) {
			t.Fatalf("range %+v outside input of %d bytes", r, len(src))
		}
		for _, p := range []runtimes.Position{r.Start, r.End} {
			if want := pyBytePosition(src, p.Offset); p != want {
				t.Fatalf("position %+v, want %+v", p, want)
			}
		}
	}
}

// pyBytePosition computes a Position independently of the code under
// test: lines end at \n, \r\n or a lone \r; columns count bytes.
func pyBytePosition(src []byte, off int) runtimes.Position {
	line, start := 1, 0
	for i := 0; i < off; i++ {
		if src[i] == '\n' || src[i] == '\r' && (i+1 >= len(src) || src[i+1] != '\n') {
			line, start = line+1, i+1
		}
	}
	return runtimes.Position{Line: line, Column: off - start + 1, Offset: off}
}

func pyRangeText(src []byte, r runtimes.Range) string {
	return string(src[r.Start.Offset:r.End.Offset])
}

func BenchmarkAnalyzeFunction(b *testing.B) {
	src, err := os.ReadFile("testdata/analyze/fastapi_app.py")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		a := AnalyzeFunction(apiIndexPy, src)
		if a.Entrypoint == nil || a.Entrypoint.Framework != "fastapi" {
			b.Fatalf("entrypoint = %+v", a.Entrypoint)
		}
	}
}
