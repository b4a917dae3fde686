package dotenv

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		want     []Var
		problems []int // lines with problems
	}{
		{name: "empty", in: ""},
		{name: "simple", in: "A=1\nB=two\n", want: []Var{{"A", "1", 1}, {"B", "two", 2}}},
		{name: "no trailing newline", in: "A=1", want: []Var{{"A", "1", 1}}},
		{name: "blanks around", in: "  A = spaced value  \n", want: []Var{{"A", "spaced value", 1}}},
		{name: "export", in: "export A=1\nexport\tB=2\n", want: []Var{{"A", "1", 1}, {"B", "2", 2}}},
		{name: "key named exporter", in: "exporter=1\n", want: []Var{{"exporter", "1", 1}}},
		{name: "comments", in: "# top\n\nA=1 # trailing\n  # indented\nB=#all comment\n", want: []Var{{"A", "1", 3}, {"B", "", 5}}},
		{name: "hash without blank stays", in: "URL=https://x.test/#top\n", want: []Var{{"URL", "https://x.test/#top", 1}}},
		{name: "empty value", in: "A=\nB=\"\"\n", want: []Var{{"A", "", 1}, {"B", "", 2}}},
		{name: "equals in value", in: "A=b=c\n", want: []Var{{"A", "b=c", 1}}},
		{name: "double quotes expand escapes", in: `A="x\ny\t\"z\"\\"` + "\n", want: []Var{{"A", "x\ny\t\"z\"\\", 1}}},
		{name: "double quotes keep unknown escapes", in: `A="\q"`, want: []Var{{"A", `\q`, 1}}},
		{name: "double quotes keep hash", in: `A="a # not a comment" # comment`, want: []Var{{"A", "a # not a comment", 1}}},
		{name: "single quotes literal", in: `A='x\ny "q"'`, want: []Var{{"A", `x\ny "q"`, 1}}},
		{name: "backquotes literal", in: "A=`it's \"both\"`", want: []Var{{"A", `it's "both"`, 1}}},
		{name: "multiline double", in: "A=\"line1\nline2\"\nB=3\n", want: []Var{{"A", "line1\nline2", 1}, {"B", "3", 3}}},
		{name: "multiline single", in: "KEY='-----BEGIN-----\nabc\n-----END-----'\n", want: []Var{{"KEY", "-----BEGIN-----\nabc\n-----END-----", 1}}},
		{name: "crlf", in: "A=1\r\nB=\"x\r\ny\"\r\n", want: []Var{{"A", "1", 1}, {"B", "x\ny", 2}}},
		{name: "bom", in: "\ufeffA=1\n", want: []Var{{"A", "1", 1}}},
		{name: "duplicates kept in order", in: "A=1\nA=2\n", want: []Var{{"A", "1", 1}, {"A", "2", 2}}},
		{name: "invalid names are read", in: "1BAD=x\nmy.key=y\nmy-key=z\n", want: []Var{{"1BAD", "x", 1}, {"my.key", "y", 2}, {"my-key", "z", 3}}},
		{name: "no equals", in: "JUSTAKEY\nA=1\n", want: []Var{{"A", "1", 2}}, problems: []int{1}},
		{name: "garbage line", in: "!!!\nA=1\n", want: []Var{{"A", "1", 2}}, problems: []int{1}},
		// Issue: an unclosed quote lost every variable after it. As npm
		// dotenv, its line is read unquoted, quote included.
		{name: "unterminated quote", in: "A=1\nB=\"open\nC=3\n", want: []Var{{"A", "1", 1}, {"B", `"open`, 2}, {"C", "3", 3}}, problems: []int{2}},
		{name: "unterminated quotes", in: "A='x # c\nB=`y\nC=\"z\\\"\nD=ok", want: []Var{{"A", "'x", 1}, {"B", "`y", 2}, {"C", `"z\"`, 3}, {"D", "ok", 4}}, problems: []int{1, 2, 3}},
		{name: "quote closed lines later", in: "A=\"x\nB=y\nC=\"\nD=1\n", want: []Var{{"A", "x\nB=y\nC=", 1}, {"D", "1", 4}}},
		{name: "text after closing quote", in: `A="x" y`, want: []Var{{"A", "x", 1}}, problems: []int{1}},
		{name: "colon is not an assignment", in: "A: 1\n", problems: []int{1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, problems := Parse([]byte(tt.in))
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Parse(%q) vars =\n%#v\nwant\n%#v", tt.in, got, tt.want)
			}
			var lines []int
			for _, p := range problems {
				lines = append(lines, p.Line)
				if p.Msg == "" {
					t.Errorf("problem on line %d has no message", p.Line)
				}
			}
			if !reflect.DeepEqual(lines, tt.problems) {
				t.Errorf("Parse(%q) problems = %v, want on lines %v", tt.in, problems, tt.problems)
			}
		})
	}
}

func TestValidName(t *testing.T) {
	for name, want := range map[string]bool{
		"A": true, "_": true, "a_b9": true, "PATH": true, "_X1": true,
		"": false, "1A": false, "A-B": false, "A.B": false, "A B": false, "é": false,
	} {
		if got := ValidName(name); got != want {
			t.Errorf("ValidName(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestMapLastWins(t *testing.T) {
	m := Map([]Var{{"A", "1", 1}, {"B", "2", 2}, {"A", "3", 3}})
	if m["A"] != "3" || m["B"] != "2" || len(m) != 2 {
		t.Errorf("Map = %v, want A=3 B=2", m)
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	vars, problems, err := Load(filepath.Join(dir, "missing"))
	if err != nil || vars != nil || problems != nil {
		t.Fatalf("Load(missing) = %v, %v, %v; want nothing", vars, problems, err)
	}
	if _, _, err := ReadFile(filepath.Join(dir, "missing")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("ReadFile(missing) error = %v, want fs.ErrNotExist", err)
	}
	path := filepath.Join(dir, ".env")
	if err := os.WriteFile(path, []byte("A=1\nbad line\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	vars, problems, err = Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(vars) != 1 || vars[0].Value != "1" || len(problems) != 1 || problems[0].Line != 2 {
		t.Errorf("Load = %v %v, want A=1 and a problem on line 2", vars, problems)
	}
	if !strings.Contains(problems[0].String(), "line 2") {
		t.Errorf("Problem.String() = %q, want the line number", problems[0].String())
	}
}

// FuzzParse checks that Parse never panics, that every variable has a key
// made of key characters and a line inside the input, and that a value
// written back single-quoted parses to itself.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"A=1\n", "export A='x'\n", "A=\"a\\nb\"\n", "A=\"multi\nline\"", "# c\nA=b # c\n",
		"A=`x`", "=x", "A", "A=\"", "\ufeffA=1\r\nB=2", "A='unterminated\nB=1", "A=\"open # c\nB=\"x\"\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		vars, _ := Parse(data)
		lines := strings.Count(string(data), "\n") + 1
		for _, v := range vars {
			if v.Key == "" {
				t.Fatalf("empty key from %q", data)
			}
			for i := 0; i < len(v.Key); i++ {
				if !keyChar(v.Key[i]) {
					t.Fatalf("key %q has a bad character (input %q)", v.Key, data)
				}
			}
			if v.Line < 1 || v.Line > lines {
				t.Fatalf("line %d outside 1..%d (input %q)", v.Line, lines, data)
			}
			if strings.ContainsAny(v.Value, "'\r") {
				continue
			}
			again, problems := Parse([]byte("K='" + v.Value + "'\n"))
			if len(problems) != 0 || len(again) != 1 || again[0].Value != v.Value {
				t.Fatalf("value %q does not round-trip single-quoted: %v %v", v.Value, again, problems)
			}
		}
	})
}
