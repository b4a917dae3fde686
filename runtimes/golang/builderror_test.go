package golang

import (
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/lambdalens/lambdalens/runtimes"
)

func TestMapOutput(t *testing.T) {
	root := filepath.FromSlash("/work/proj")
	ov := newOverlay(filepath.FromSlash("/work/proj/.vercel/cache/go/dev/api_a-1234"))
	ov.add(filepath.FromSlash("/work/proj/api/a.go"), []byte("x"), origin{
		file:    "api/a.go",
		renamed: []renamedDecl{{line: 5, col: 6, shift: len("Handler_api_a_go") - len("Handler")}},
	})
	ov.renames["Handler_api_a_go"] = "Handler"
	ov.add(filepath.FromSlash("/work/proj/api/lambdalens__id__abcdef.go"), []byte("x"), origin{file: "api/[id].go"})
	actual := func(virtual string) string { return filepath.ToSlash(ov.replace[filepath.FromSlash(virtual)]) }
	renamedActual := actual("/work/proj/api/a.go")
	idActual := actual("/work/proj/api/lambdalens__id__abcdef.go")

	tests := []struct {
		name     string
		cwd      string
		out      string
		wantOut  string
		wantDiag []string // "file:line:col: message"
	}{
		{
			name:     "relative to the module directory",
			cwd:      "/work/proj",
			out:      "# example.com/app/api\napi/helper.go:4:9: undefined: x\n",
			wantOut:  "# example.com/app/api\napi/helper.go:4:9: undefined: x\n",
			wantDiag: []string{"api/helper.go:4:9: undefined: x"},
		},
		{
			name:     "module in a parent directory",
			cwd:      "/work",
			out:      "proj/api/helper.go:4:9: undefined: x\n",
			wantOut:  "api/helper.go:4:9: undefined: x\n",
			wantDiag: []string{"api/helper.go:4:9: undefined: x"},
		},
		{
			name:     "renamed declaration, column after the name",
			cwd:      "/work/proj",
			out:      strings.TrimPrefix(renamedActual, "/work/proj/") + ":5:73: undefined: y\n",
			wantOut:  "api/a.go:5:64: undefined: y\n",
			wantDiag: []string{"api/a.go:5:64: undefined: y"},
		},
		{
			name:     "renamed name in a message",
			cwd:      "/work/proj",
			out:      renamedActual + ":5:6: Handler_api_a_go redeclared in this block\n",
			wantOut:  "api/a.go:5:6: Handler redeclared in this block\n",
			wantDiag: []string{"api/a.go:5:6: Handler redeclared in this block"},
		},
		{
			// The go command shortens paths by textual replacement of
			// directory prefixes, which can mangle a scratch path.
			name:     "mangled scratch path",
			cwd:      "/work/proj/.vercel/cache/go/dev/api",
			out:      "." + strings.TrimPrefix(idActual, "/work/proj/.vercel/cache/go/dev/api") + ":6:14: cannot use\n",
			wantDiag: []string{"api/[id].go:6:14: cannot use"},
		},
		{
			name:     "continuation lines and a go.mod error without column",
			cwd:      "/work/proj",
			out:      "api/x.go:3:2: wrong type\n\thave (int)\n\twant (string)\n/work/proj/go.mod:3: unknown directive: foo\n",
			wantDiag: []string{"api/x.go:3:2: wrong type\nhave (int)\nwant (string)", "go.mod:3:1: unknown directive: foo"},
		},
		{
			name: "no positions",
			cwd:  "/work/proj",
			out:  "go: updates to go.mod needed; to update it:\n\tgo mod tidy\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := &outputMapper{root: root, cwd: filepath.FromSlash(tt.cwd), ov: ov}
			out, diags := m.mapOutput(filepath.FromSlash(tt.out))
			if tt.wantOut != "" && out != tt.wantOut {
				t.Errorf("output = %q, want %q", out, tt.wantOut)
			}
			var got []string
			for _, d := range diags {
				if d.Severity != runtimes.SeverityError || d.Code != "go-build" {
					t.Errorf("diagnostic %v: severity %v code %q", d, d.Severity, d.Code)
				}
				got = append(got, d.File+":"+strconv.Itoa(d.Range.Start.Line)+":"+strconv.Itoa(d.Range.Start.Column)+": "+d.Message)
			}
			if strings.Join(got, "|") != strings.Join(tt.wantDiag, "|") {
				t.Errorf("diagnostics:\n got %q\nwant %q", got, tt.wantDiag)
			}
		})
	}
}

func FuzzMapOutput(f *testing.F) {
	f.Add("api/x.go:1:2: msg\n\tmore\n")
	f.Add("# pkg\n/abs/go.mod:3: bad\n")
	f.Add("C:\\proj\\api\\x.go:10:5: windows\n")
	f.Add("x.go:99999999999999999999:1: overflow\n")
	f.Add("\t\n:1:2: \n")
	ov := newOverlay("/scratch")
	ov.add("/proj/api/a.go", nil, origin{file: "api/a.go", renamed: []renamedDecl{{line: 1, col: 6, shift: 9}}})
	ov.renames["Handler_api_a_go"] = "Handler"
	f.Fuzz(func(t *testing.T, out string) {
		m := &outputMapper{root: "/proj", cwd: "/proj", ov: ov}
		mapped, diags := m.mapOutput(out)
		if n := strings.Count(out, "\n") + 1; len(diags) > n {
			t.Errorf("%d diagnostics from %d lines", len(diags), n)
		}
		if strings.Count(mapped, "\n") != strings.Count(out, "\n") {
			t.Errorf("line count changed: %q -> %q", out, mapped)
		}
		for _, d := range diags {
			if d.Range.Start.Column < 1 {
				t.Errorf("column %d < 1", d.Range.Start.Column)
			}
		}
	})
}
