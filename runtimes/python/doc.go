// Package python is the Python runtime: it finds the entrypoint of a Python
// file, runs it as a dev process, and builds it into an AWS Lambda. Its
// Runtime implements runtimes.Runtime; everything it hands to the layers
// above is a plain type of package runtimes.
//
// # Entrypoints
//
// Python code is served in two shapes (runtimes.Kind), as on Vercel:
//
//   - A function (KindFunction) is one file under api/ that binds, at the
//     top level, a name app or application, or defines a class called
//     handler (in any case). Vercel looks for them in that order.
//   - A framework app (KindApp) is a root candidate (app.py, main.py,
//     src/index.py, ...) with the same kind of binding, serving every path
//     no function takes.
//
// The object is called in one of three conventions (runtimes.AppKind):
// ASGI, WSGI, or a http.server.BaseHTTPRequestHandler subclass. The
// analysis names it when the source shows it; otherwise the dev shim
// decides at run time, as Vercel's runtime does.
//
// # Analysis: how we parse Python, and why this way
//
// AnalyzeFunction and AnalyzeApp run on every keystroke in the language
// server, on files that are often half typed, on machines where Python may
// be missing, a different version, or inside a broken virtual environment.
// So they do not run an interpreter, and they do not build a syntax tree:
// CPython's ast module rejects a file outright at its first error, while
// an editor needs an answer for the rest of the file. What the analysis
// needs is small: the top-level statements that bind app, application or
// class handler, what they are bound to, and the imports. That needs a
// correct tokenizer and very little grammar.
//
// The tokenizer (analyze_tokenizer.go) turns bytes into logical lines, the
// unit Python's own grammar works in. It knows:
//
//   - string literals with every prefix (r, b, u, f, t and their two-letter
//     combinations, any case), single- and triple-quoted, with backslash
//     escapes (an escaped quote never ends a string, raw or not; an escaped
//     newline continues a single-quoted one);
//   - f- and t-strings: a replacement field is code, scanned with its own
//     bracket nesting and nested strings, including strings that reuse the
//     enclosing quote as Python 3.12 allows (f"{d["k"]}"); after a top-level
//     ':' comes the format spec, literal text with nested fields. Nesting is
//     bounded (16 levels);
//   - comments, numbers, and operators kept whole ("=" is never confused
//     with "==", ":=" or "+=");
//   - logical lines: a newline inside (), [] or {} or after a backslash
//     continues the statement; blank and comment-only lines are skipped;
//   - "\n", "\r\n" and a lone "\r" all end a line (as for Python and LSP);
//     a byte order mark is skipped; a line indented with spaces or tabs is
//     indented, one starting with form feeds only is not; bytes >= 0x80,
//     valid UTF-8 or not, are identifier bytes.
//
// A logical line is top-level when its first token is at column 0. Only
// those are interpreted (analyze_scan.go), in these forms: name = value
// (chained targets included, tuple, attribute and subscript targets
// excluded), name: T = value, def and async def, class, import x as name,
// from m import (a, b as name). Imports are also collected from indented
// lines (try: import ujson as json), because they are dependencies too;
// bindings in indented code (if, try, function bodies) do not count, as
// on Vercel.
//
// # Recovery from half-typed code
//
// A half-typed line must not swallow the rest of the file, so the
// tokenizer recovers, with these rules:
//
//   - A single-quoted string ends at the end of its line if its closing
//     quote is missing (as in CPython, which reports it there). This
//     includes an f-string whose replacement field is cut by a newline.
//   - While a bracket is open (or after a backslash continuation), a
//     physical line at column 0 that starts with def, class, import, from,
//     async def or a decorator '@' ends the open statement: that line
//     starts a new top-level statement. Inside an open bracket, so does a
//     name followed by whitespace and "=" (app = ...); a keyword argument
//     written at column 0 without spaces (title="x") does not, so an
//     unindented call argument list still reads as one statement. Nor does
//     a name followed by "=" after a backslash: x = \ then app = f() is
//     one valid chained assignment.
//   - A triple-quoted string that is still open at EOF ends at the first
//     line after its opening line that starts at column 0 as described
//     above, or at EOF when there is none. Valid triple-quoted strings
//     often contain such lines (docstrings with examples), so this only
//     happens once the string is known to be unterminated.
//   - A closing bracket that does not match the innermost open one closes
//     it anyway, or closes up to a matching bracket further out: "[1, 2)"
//     and "f(a[1)" are each one typo. A closing bracket with nothing open
//     is ignored.
//
// Each recovery, and each unterminated string or bracket problem in a
// top-level statement, becomes a py-syntax warning at the offending quote
// or bracket (at most three per file). They say where the scan had to
// guess; the interpreter reports the exact error. Problems inside indented
// code that need no recovery are left to it.
//
// # Classification
//
// The value bound decides the AppKind and framework: a call of
// fastapi.FastAPI, starlette Starlette, quart Quart, litestar Litestar,
// sanic Sanic or fasthtml FastHTML is ASGI; flask.Flask and bottle.Bottle
// are WSGI; django's get_wsgi_application and get_asgi_application are
// WSGI and ASGI; falcon.App is WSGI and falcon.asgi.App ASGI. Callees are
// resolved through the file's imports (from fastapi import FastAPI as F;
// import fastapi as fa; fa.FastAPI()), so a FastAPI imported from another
// package is not taken for fastapi's; the distinctive names also match
// when nothing imports them (a star import). A bare name is followed to
// its own binding (api = FastAPI(); app = api). async def app with three
// positional parameters is ASGI, def app with two is WSGI, and a class
// handler deriving from http.server's BaseHTTPRequestHandler (or
// SimpleHTTPRequestHandler) is a handler class. Python's last binding
// wins, so the last binding that shows a kind decides it, while the
// symbol's range is the first binding's name. Anything else is
// runtimes.AppUnknown: decided at run time.
//
// When the file binds more than one of app, application and class
// handler, the first by that priority is the entrypoint and the others get
// a py-multiple-entrypoints warning. An api/ file without any of them gets
// a py-no-entrypoint warning on its first line: Vercel skips such files
// silently, which is a common surprise.
//
// # Cost
//
// One pass over the bytes, plus a line index built with bytes.IndexByte;
// the statement patterns look at a bounded number of tokens per line
// (2048). The scan is linear even on hostile input: unterminated
// triple-quoted strings remember where a search for their closing quotes
// failed, so a file of thousands of them is not rescanned for each, and
// the problem list stops growing once full. A 200-line FastAPI app takes
// about 30 µs (BenchmarkAnalyzeFunction); FuzzAnalyzePython checks that
// no input panics or yields a range outside the file.
//
// Known differences from CPython, all on unusual code: an f-string
// replacement field that spans lines inside a single-quoted f-string
// (legal since 3.12) is reported as unterminated; an unindented keyword
// argument written with spaces around "=" inside an open call is taken as
// a new statement (with a false py-syntax warning); bindings made through
// globals(), exec or star imports are not seen.
//
// # Dev processes
//
// StartDev chooses an interpreter (an activated $VIRTUAL_ENV, the
// project's .venv or venv, a managed venv filled from the function's
// dependency files — the nearest declaration from the entrypoint's folder
// up to the root, as for its build (findDeps) — or python3 on PATH; see
// Interpreter), writes the dev
// shim to <CacheDir>/python/ and runs it through package proc in its own
// process group. The shim imports the entrypoint by path under its dotted
// module name, serves it on 127.0.0.1 (uvicorn or werkzeug when installed,
// standard-library servers otherwise) and reports the port on fd 3; the
// analysis passes the symbol and the AppKind as hints. An import error or
// a crash at startup becomes a *runtimes.BuildError with the traceback and
// a diagnostic at the innermost frame in the project. Inputs are every .py
// file of the project plus the dependency files of the entrypoint's folder
// and its parents, and the version files; the running
// process tells which of them it has imported (devProcess.Loaded, over a
// socket on fd 4), so that a change to a module it never imported leaves
// it running.
//
// # Lambda builds
//
// Build copies the project's files (minus the Python builder's excludes,
// Vercel's default ignore list with .env.local and .env.*.local,
// .vercelignore and excludeFiles), installs the dependencies as Linux wheels
// for the target Python version and architecture into _vendor/ (uv, else
// pip; frozen to uv.lock or pylock.toml when there is one — for a uv
// workspace member, the workspace root's uv.lock — with pylock.toml's
// hashes checked when every package has them; cached by content and by the
// index settings of the environment under CacheDir/python/deps), and adds the lambdalens_runtime adapter plus the
// vc__handler__python.py trampoline. Where packages come from follows the
// manifest, as `uv lock` does on Vercel: pyproject.toml's [tool.uv.sources]
// become direct references (a path source its absolute file:// URL) and
// its [[tool.uv.index]]es, a Pipfile's [[source]]s and pylock.toml's
// package indexes become --index-url / --extra-index-url lines of the
// converted requirements (pyproject.go, pipfile.go); a source that cannot
// be expressed is an error, never a lookup of the name on PyPI. The adapter serves Vercel invoke
// payloads, API Gateway v2 / Function URL and v1 events to ASGI, WSGI or
// BaseHTTPRequestHandler apps (see its docstring), running ASGI lifespan
// startup once per container. A function over 250 MB unzipped whose
// dependencies come from uv.lock leaves the largest public packages out and
// installs them at cold start, as Vercel does: it ships uv for the target
// and _uv/_runtime_config.json, and the adapter runs `uv sync --frozen` into
// a venv under the temporary directory on a container's first invocation
// (the function then needs network access to the index). Other functions
// over the limit fail, listing the largest dependencies. CacheKey changes whenever Build's output would.
//
// Imports work the same in dev and on Lambda: the project root (the task
// root) is on sys.path and the entrypoint is imported as its dotted path
// (api/x.py is module api.x); the entrypoint's own folder is not on
// sys.path in either.
package python
