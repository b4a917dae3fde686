package project

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/BurntSushi/toml"
	"golang.org/x/mod/modfile"

	"github.com/lambdalens/lambdalens/runtimes"
)

// Python versions the AWS Lambda managed runtimes support (python3.9 to
// python3.14), and the default when a project says nothing (Vercel's).
const (
	minPythonMinor       = 9
	maxPythonMinor       = 14
	DefaultPythonVersion = "3.12"
)

var installedGo = sync.OnceValue(func() string {
	// Read $GOROOT/VERSION of the go on PATH instead of running it: the
	// loader must not start processes. The first line is "go1.26.8".
	goBin, err := exec.LookPath("go")
	if err != nil {
		return ""
	}
	if real, err := filepath.EvalSymlinks(goBin); err == nil {
		goBin = real
	}
	data, err := os.ReadFile(filepath.Join(filepath.Dir(filepath.Dir(goBin)), "VERSION"))
	if err != nil {
		return ""
	}
	line, _, _ := strings.Cut(string(data), "\n")
	return strings.TrimPrefix(strings.TrimSpace(line), "go")
})

// goVersion detects the Go version: go.mod "toolchain", then the "go"
// directive, then .go-version, then the installed toolchain. It also
// reports a go.mod that asks for a newer Go than the one installed.
func (l *loader) goVersion() (Version, []runtimes.Diagnostic) {
	var diags []runtimes.Diagnostic
	if data, err := l.read("go.mod"); err == nil {
		// Parse (not ParseLax, which skips the toolchain line); fall back
		// to the lax parser for files with directives this x/mod lacks.
		mf, err := modfile.Parse("go.mod", data, nil)
		if err != nil {
			if lax, laxErr := modfile.ParseLax("go.mod", data, nil); laxErr == nil {
				mf, err = lax, nil
			}
		}
		if err != nil {
			diags = append(diags, goModSyntaxDiags(data, err)...)
		} else {
			if mf.Module == nil {
				// The go command refuses such a go.mod ("missing module
				// declaration"), so every Go build would fail.
				diags = append(diags, runtimes.Diagnostic{
					File: "go.mod", Range: textRange(data, ""), Severity: runtimes.SeverityError, Code: "go-mod-no-module",
					Message: `go.mod has no module directive: Go functions cannot be built; add a line such as "module example.com/app" at its top`,
				})
			}
			var v Version
			var rng runtimes.Range
			switch {
			case mf.Toolchain != nil:
				v = Version{Value: strings.TrimPrefix(mf.Toolchain.Name, "go"), Source: "go.mod toolchain"}
				rng = syntaxRange(mf.Toolchain.Syntax.Start, mf.Toolchain.Syntax.End)
			case mf.Go != nil:
				v = Version{Value: mf.Go.Version, Source: "go.mod go directive"}
				rng = syntaxRange(mf.Go.Syntax.Start, mf.Go.Syntax.End)
			}
			if v.Value != "" {
				if inst := installedGo(); inst != "" && compareVersions(v.Value, inst) > 0 {
					diags = append(diags, runtimes.Diagnostic{
						File: "go.mod", Range: rng, Severity: runtimes.SeverityWarning, Code: "go-version-newer",
						Message: fmt.Sprintf("go.mod asks for Go %s but the installed toolchain is %s: the go command downloads Go %s for builds (with GOTOOLCHAIN=local they fail); install it or lower the version", v.Value, inst, v.Value),
					})
				}
				return v, diags
			}
		}
	}
	if data, err := l.read(".go-version"); err == nil {
		if v := strings.TrimPrefix(strings.TrimSpace(string(data)), "go"); v != "" {
			return Version{Value: v, Source: ".go-version"}, diags
		}
	}
	if inst := installedGo(); inst != "" {
		return Version{Value: inst, Source: "installed toolchain"}, diags
	}
	return Version{}, diags
}

// goModSyntaxDiags turns a go.mod parse error into one diagnostic per
// problem, each at its own line (modfile reports them as an ErrorList).
func goModSyntaxDiags(data []byte, err error) []runtimes.Diagnostic {
	var list modfile.ErrorList
	if !errors.As(err, &list) || len(list) == 0 {
		return []runtimes.Diagnostic{{
			File: "go.mod", Range: textRange(data, ""), Severity: runtimes.SeverityError, Code: "go-mod-syntax",
			Message: fmt.Sprintf("go.mod does not parse: %v", err),
		}}
	}
	var diags []runtimes.Diagnostic
	for _, e := range list {
		rng := textRange(data, "")
		if e.Pos.Line > 0 {
			// From the error's position to the end of its line.
			start := min(max(e.Pos.Byte, 0), len(data))
			end := bytes.IndexByte(data[start:], '\n')
			if end < 0 {
				end = len(data) - start
			}
			rng = rangeAt(data, start, start+end)
		}
		// The message without the file and line, which the range gives.
		e.Filename, e.Pos = "", modfile.Position{}
		diags = append(diags, runtimes.Diagnostic{
			File: "go.mod", Range: rng, Severity: runtimes.SeverityError, Code: "go-mod-syntax",
			Message: fmt.Sprintf("go.mod does not parse: %v", &e),
		})
	}
	return diags
}

func syntaxRange(start, end modfile.Position) runtimes.Range {
	return runtimes.Range{
		Start: runtimes.Position{Line: start.Line, Column: start.LineRune, Offset: start.Byte},
		End:   runtimes.Position{Line: end.Line, Column: end.LineRune, Offset: end.Byte},
	}
}

// tomlSyntax reports a pyproject.toml or Pipfile at the root that is not
// TOML: an error when the project has Python functions (they read their
// dependencies and version from it), a warning otherwise (a Go project's
// [tool.black] settings break no build of it).
func (l *loader) tomlSyntax(hasPython bool) []runtimes.Diagnostic {
	var diags []runtimes.Diagnostic
	for _, file := range []string{"pyproject.toml", "Pipfile"} {
		data, err := l.read(file)
		if err != nil {
			continue
		}
		var doc map[string]any
		if _, err := toml.Decode(string(data), &doc); err != nil {
			d := tomlDiag(file, data, err)
			if !hasPython {
				d.Severity = runtimes.SeverityWarning
				d.Message = strings.Replace(d.Message, "Python functions read", "a Python function would read", 1)
			}
			diags = append(diags, d)
		}
	}
	return diags
}

// tomlDiag turns a toml.Decode error into a diagnostic at its position
// (the first line when it has none).
func tomlDiag(file string, data []byte, err error) runtimes.Diagnostic {
	d := runtimes.Diagnostic{
		File: file, Range: textRange(data, ""), Severity: runtimes.SeverityError, Code: "toml-syntax",
		Message: fmt.Sprintf("%s is not valid TOML: %v; fix it, Python functions read their dependencies from it", file, err),
	}
	var pe toml.ParseError
	if errors.As(err, &pe) && pe.Position.Line > 0 {
		// Offsets are counted after a byte order mark, which the parser
		// drops.
		bom := 0
		for _, m := range []string{"\xef\xbb\xbf", "\xff\xfe", "\xfe\xff"} {
			if bytes.HasPrefix(data, []byte(m)) {
				bom = len(m)
				break
			}
		}
		start := bom + pe.Position.Start
		d.Range = rangeAt(data, start, start+max(pe.Position.Len, 0))
		d.Message = fmt.Sprintf("%s is not valid TOML: %s; fix it, Python functions read their dependencies from it", file, pe.Message)
	}
	return d
}

var pyVersionRe = regexp.MustCompile(`(\d+)\.(\d+)`)

// pythonVersion detects the Python version: .python-version, runtime.txt,
// Pipfile [requires] python_version, pyproject.toml requires-python (a
// constraint: see requiresPython), then the default 3.12. Exact versions
// outside 3.9–3.14 (what Lambda runs) are reported where they are written.
func (l *loader) pythonVersion() (Version, []runtimes.Diagnostic) {
	type source struct {
		file    string
		extract func([]byte) (string, string) // version, the text it came from
	}
	sources := []source{
		{".python-version", func(b []byte) (string, string) {
			for _, line := range strings.Split(string(b), "\n") {
				line = strings.TrimSpace(line)
				if line != "" && !strings.HasPrefix(line, "#") {
					return line, line
				}
			}
			return "", ""
		}},
		{"runtime.txt", func(b []byte) (string, string) {
			s := strings.TrimSpace(string(b))
			return strings.TrimPrefix(s, "python-"), s
		}},
		{"Pipfile", func(b []byte) (string, string) {
			var pf struct {
				Requires struct {
					PythonVersion     string `toml:"python_version"`
					PythonFullVersion string `toml:"python_full_version"`
				} `toml:"requires"`
			}
			if _, err := toml.Decode(string(b), &pf); err != nil {
				return "", ""
			}
			v := pf.Requires.PythonVersion
			if v == "" {
				v = pf.Requires.PythonFullVersion
			}
			return v, v
		}},
		{"pyproject.toml", func(b []byte) (string, string) {
			var pp struct {
				Project struct {
					RequiresPython string `toml:"requires-python"`
				} `toml:"project"`
			}
			if _, err := toml.Decode(string(b), &pp); err != nil {
				return "", ""
			}
			return pp.Project.RequiresPython, pp.Project.RequiresPython
		}},
	}
	for _, s := range sources {
		data, err := l.read(s.file)
		if err != nil {
			continue
		}
		raw, text := s.extract(data)
		if raw == "" {
			continue
		}
		if s.file == "pyproject.toml" {
			return requiresPython(data, raw, text)
		}
		m := pyVersionRe.FindStringSubmatch(raw)
		if m == nil {
			return Version{Value: DefaultPythonVersion, Source: "default"}, []runtimes.Diagnostic{{
				File: s.file, Range: textRange(data, text), Severity: runtimes.SeverityWarning, Code: "python-version-invalid",
				Message: fmt.Sprintf("cannot read a Python version from %q; using the default %s", raw, DefaultPythonVersion),
			}}
		}
		major, _ := strconv.Atoi(m[1])
		minor, _ := strconv.Atoi(m[2])
		v := Version{Value: fmt.Sprintf("%d.%d", major, minor), Source: s.file}
		if major != 3 || minor < minPythonMinor || minor > maxPythonMinor {
			return v, []runtimes.Diagnostic{{
				File: s.file, Range: textRange(data, text), Severity: runtimes.SeverityError, Code: "python-version-unsupported",
				Message: fmt.Sprintf("Python %s is not supported by AWS Lambda: use 3.%d to 3.%d", v.Value, minPythonMinor, maxPythonMinor),
			}}
		}
		return v, nil
	}
	return Version{Value: DefaultPythonVersion, Source: "default"}, nil
}

// requiresPython chooses the version for pyproject.toml's requires-python
// as Vercel does: matched against the versions Lambda runs, the default
// first, then the newest that satisfies it. A constraint that none
// satisfies, or that cannot be read, gets a warning and the default.
func requiresPython(data []byte, raw, text string) (Version, []runtimes.Diagnostic) {
	const file = "pyproject.toml"
	def := Version{Value: DefaultPythonVersion, Source: "default"}
	spec, err := parsePySpec(raw)
	if err != nil {
		return def, []runtimes.Diagnostic{{
			File: file, Range: textRange(data, text), Severity: runtimes.SeverityWarning, Code: "python-version-invalid",
			Message: fmt.Sprintf("cannot read requires-python %q: %v; using the default %s", raw, err, DefaultPythonVersion),
		}}
	}
	var defMinor int
	fmt.Sscanf(DefaultPythonVersion, "3.%d", &defMinor)
	if spec.allowsMinor(3, defMinor) {
		return Version{Value: DefaultPythonVersion, Source: file}, nil
	}
	for minor := maxPythonMinor; minor >= minPythonMinor; minor-- {
		if spec.allowsMinor(3, minor) {
			return Version{Value: fmt.Sprintf("3.%d", minor), Source: file}, nil
		}
	}
	return def, []runtimes.Diagnostic{{
		File: file, Range: textRange(data, text), Severity: runtimes.SeverityWarning, Code: "python-version-unsupported",
		Message: fmt.Sprintf("no Python version AWS Lambda runs (3.%d to 3.%d) satisfies requires-python %q; using the default %s",
			minPythonMinor, maxPythonMinor, raw, DefaultPythonVersion),
	}}
}

// textRange is the range of the first occurrence of text in data (the
// whole first line when text is not found).
func textRange(data []byte, text string) runtimes.Range {
	i := -1
	if text != "" {
		i = bytes.Index(data, []byte(text))
	}
	if i < 0 {
		end := bytes.IndexByte(data, '\n')
		if end < 0 {
			end = len(data)
		}
		return rangeAt(data, 0, end)
	}
	return rangeAt(data, i, i+len(text))
}

// rangeAt converts byte offsets to a Range.
func rangeAt(data []byte, start, end int) runtimes.Range {
	return runtimes.Range{Start: posAt(data, start), End: posAt(data, end)}
}

func posAt(data []byte, off int) runtimes.Position {
	off = min(max(off, 0), len(data))
	line := 1 + bytes.Count(data[:off], []byte{'\n'})
	col := off - (bytes.LastIndexByte(data[:off], '\n') + 1) + 1
	return runtimes.Position{Line: line, Column: col, Offset: off}
}

// compareVersions compares dotted versions numerically ("1.26" < "1.26.1").
func compareVersions(a, b string) int {
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < max(len(pa), len(pb)); i++ {
		var x, y int
		if i < len(pa) {
			x, _ = strconv.Atoi(strings.TrimLeft(pa[i], "v"))
		}
		if i < len(pb) {
			y, _ = strconv.Atoi(pb[i])
		}
		if x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	return 0
}
