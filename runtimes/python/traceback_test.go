package python

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lambdalens/lambdalens/runtimes"
)

func TestTracebackError(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	writeTree(t, root, map[string]string{
		"api/index.py": "import json\n\ndef handler():\n    return json.loads(data)\n",
		"app.py":       "x = 1\n    y = 2\n",
		"api/uni.py":   "def handler():\n    return \"héllo wörld\" + data\n",
	})
	tests := []struct {
		name     string
		stderr   string
		wantOK   bool
		wantFile string
		wantLine int
		wantCols [2]int // 0 = not checked
		wantMsg  string
		// wantOut is a prefix of Output; notOut must not appear in it.
		wantOut, notOut string
	}{
		{
			name:   "no traceback",
			stderr: "lambdalens: error: api/x.py: no app\n",
		},
		{
			name: "innermost project frame, library frames skipped",
			stderr: `INFO: starting
Traceback (most recent call last):
  File "` + root + `/api/index.py", line 4, in handler
    return json.loads(data)
                      ^^^^
  File "` + root + `/.venv/lib/python3.11/site-packages/json/__init__.py", line 346, in loads
    return _default_decoder.decode(s)
NameError: name 'data' is not defined
lambdalens: error: later output
`,
			wantOK: true, wantFile: "api/index.py", wantLine: 4, wantCols: [2]int{23, 27},
			wantMsg: "NameError: name 'data' is not defined",
			wantOut: "Traceback (most recent call last):", notOut: "later output",
		},
		{
			// Python places the markers by characters; columns count bytes.
			name: "markers after non-ASCII text",
			stderr: `Traceback (most recent call last):
  File "` + root + `/api/uni.py", line 2, in handler
    return "héllo wörld" + data
                           ^^^^
NameError: name 'data' is not defined
`,
			wantOK: true, wantFile: "api/uni.py", wantLine: 2, wantCols: [2]int{30, 34},
			wantMsg: "NameError: name 'data' is not defined",
			wantOut: "Traceback (most recent call last):",
		},
		{
			name: "chained exceptions keep the whole chain",
			stderr: `old request log
Traceback (most recent call last):
  File "/usr/lib/python3.11/x.py", line 1, in f
KeyError: 'a'

During handling of the above exception, another exception occurred:

Traceback (most recent call last):
  File "` + root + `/api/index.py", line 3, in handler
ValueError: boom
`,
			wantOK: true, wantFile: "api/index.py", wantLine: 3, wantMsg: "ValueError: boom",
			wantOut: "Traceback (most recent call last):\n  File \"/usr/lib", notOut: "old request log",
		},
		{
			name: "unrelated earlier traceback is dropped",
			stderr: `Traceback (most recent call last):
  File "/elsewhere.py", line 1, in f
KeyError: 'a'
127.0.0.1 - GET / 500
Traceback (most recent call last):
  File "` + root + `/app.py", line 2
    y = 2
IndentationError: unexpected indent
`,
			wantOK: true, wantFile: "app.py", wantLine: 2, wantCols: [2]int{5, 10}, wantMsg: "IndentationError: unexpected indent",
			wantOut: "Traceback (most recent call last):\n  File \"" + root + "/app.py\"", notOut: "KeyError",
		},
		{
			name: "uvicorn prefix and no project frame",
			stderr: `ERROR:    Traceback (most recent call last):
  File "/usr/lib/python3.11/site-packages/starlette/routing.py", line 693, in lifespan
RuntimeError: database unreachable
`,
			wantOK: true, wantFile: "main.py", wantLine: 0, wantMsg: "RuntimeError: database unreachable",
			wantOut: "ERROR:    Traceback",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			be, ok := tracebackError("importing main.py", CodeImportError, root, "main.py", tt.stderr, os.ErrInvalid)
			if ok != tt.wantOK {
				t.Fatalf("ok = %v, want %v", ok, tt.wantOK)
			}
			if !ok {
				return
			}
			d := be.Diagnostics[0]
			if d.File != tt.wantFile || d.Range.Start.Line != tt.wantLine || d.Message != tt.wantMsg {
				t.Errorf("diagnostic = %s, want %s:%d %q", d, tt.wantFile, tt.wantLine, tt.wantMsg)
			}
			if tt.wantCols[0] != 0 && (d.Range.Start.Column != tt.wantCols[0] || d.Range.End.Column != tt.wantCols[1]) {
				t.Errorf("columns %d..%d, want %d..%d", d.Range.Start.Column, d.Range.End.Column, tt.wantCols[0], tt.wantCols[1])
			}
			if !strings.HasPrefix(be.Output, tt.wantOut) || (tt.notOut != "" && strings.Contains(be.Output, tt.notOut)) {
				t.Errorf("Output = %q, want prefix %q without %q", be.Output, tt.wantOut, tt.notOut)
			}
			if d.Range.Start.Line > 0 {
				// The offset must point at the start column of that line.
				src, _ := os.ReadFile(filepath.Join(root, tt.wantFile))
				lines := strings.SplitAfter(string(src), "\n")
				off := 0
				for _, l := range lines[:d.Range.Start.Line-1] {
					off += len(l)
				}
				if want := off + d.Range.Start.Column - 1; d.Range.Start.Offset != want {
					t.Errorf("Start.Offset = %d, want %d", d.Range.Start.Offset, want)
				}
			}
		})
	}
}

func TestUserFile(t *testing.T) {
	for rel, want := range map[string]bool{
		"api/index.py": true,
		"main.py":      true,
		".venv/lib/python3.11/site-packages/flask/app.py": false,
		"venv/lib/x.py":              false,
		".vercel/cache/python/x.py":  false,
		"vendor/site-packages/x.py":  false,
		"api/data.json":              false,
		"src/pkg/__init__.py":        true,
		"node_modules/thing/gyp.py":  false,
		"__pypackages__/3.11/lib.py": false,
	} {
		if got := userFile(rel); got != want {
			t.Errorf("userFile(%q) = %v, want %v", rel, got, want)
		}
	}
}

func FuzzParseTraceback(f *testing.F) {
	for _, s := range []string{
		"",
		"Traceback (most recent call last):\n",
		"Traceback (most recent call last):\n  File \"/x.py\", line 3, in f\n    y()\n    ^^^\nE: m\n",
		"Traceback (most recent call last):\n  File \"/x.py\", line 99999999999999999999\n",
		"a\nDuring handling of the above exception, another exception occurred:\nTraceback (most recent call last):\n",
		"Traceback (most recent call last):\n  File \"/x.py\", line 2\n    \t~~~^\n",
	} {
		f.Add(s)
	}
	root := f.TempDir()
	os.WriteFile(filepath.Join(root, "x.py"), []byte("a = 1\n\tb(  )\n"), 0o644)
	f.Fuzz(func(t *testing.T, s string) {
		s = strings.ReplaceAll(s, "/x.py", root+"/x.py")
		be, ok := tracebackError("op", CodeCrash, root, "main.py", s, os.ErrInvalid)
		if !ok {
			if strings.Contains(s, tracebackHeader) {
				t.Fatalf("a traceback header was not found in %q", s)
			}
			return
		}
		d := be.Diagnostics[0]
		r := d.Range
		if r.Start.Line < 0 || r.Start.Column < 0 || r.End.Column < r.Start.Column && r.End.Line == r.Start.Line {
			t.Fatalf("bad range %+v for %q", r, s)
		}
		if d.Severity != runtimes.SeverityError {
			t.Fatalf("severity %v", d.Severity)
		}
	})
}

// frameRange counts lines as Python does: "\n", "\r\n" and a lone "\r".
func TestFrameRangeLineEnds(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for name, tc := range map[string]struct {
		src    string
		offset int
	}{
		"lone CR": {"x = 1\r\ry = data\r", 7},
		"CRLF":    {"x = 1\r\n\r\ny = data\r\n", 9},
		"LF":      {"x = 1\n\ny = data\n", 7},
	} {
		p := filepath.Join(dir, strings.ReplaceAll(name, " ", "_")+".py")
		if err := os.WriteFile(p, []byte(tc.src), 0o644); err != nil {
			t.Fatal(err)
		}
		r := frameRange(p, pyFrame{line: 3})
		if r.Start.Offset != tc.offset || r.Start.Column != 1 || r.End.Offset != tc.offset+len("y = data") {
			t.Errorf("%s: line 3 = %+v, want offsets %d..%d", name, r, tc.offset, tc.offset+len("y = data"))
		}
	}
}
