// Command gen generates lsp/command/command_gen.go and lsp/commands.json
// from the Interface declared in lsp/command/interface.go. Run it with
// `go generate ./lsp/command` (it expects to run in lsp/command).
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"text/template"
	"unicode"
)

func main() {
	files, err := generate(".")
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
	for name, data := range files {
		if err := os.WriteFile(name, data, 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "gen:", err)
			os.Exit(1)
		}
	}
}

// Output files, relative to the command package directory.
const (
	genGo   = "command_gen.go"
	genJSON = "../commands.json"
)

// command is one method of the Interface.
type command struct {
	Method      string // DevStart
	ID          string // lambdalens.dev.start
	Title       string
	Description string
	ArgType     string // DevStartArgs
	ResultType  string // "" when the method returns only error
	Args        []argument
}

// argument is one field of a command's argument struct.
type argument struct {
	Name        string `json:"name"`
	Type        string `json:"type"`
	Optional    bool   `json:"optional"`
	Description string `json:"description"`
}

// generate returns the generated files' contents by path relative to dir
// (the lsp/command directory).
func generate(dir string) (map[string][]byte, error) {
	cmds, err := parseInterface(filepath.Join(dir, "interface.go"))
	if err != nil {
		return nil, err
	}
	var src bytes.Buffer
	if err := goTemplate.Execute(&src, cmds); err != nil {
		return nil, fmt.Errorf("executing the Go template: %w", err)
	}
	formatted, err := format.Source(src.Bytes())
	if err != nil {
		return nil, fmt.Errorf("formatting %s: %w\n%s", genGo, err, src.Bytes())
	}
	type jsonCommand struct {
		ID          string     `json:"id"`
		Title       string     `json:"title"`
		Description string     `json:"description"`
		Arguments   []argument `json:"arguments"`
		Result      string     `json:"result,omitempty"`
	}
	var list []jsonCommand
	for _, c := range cmds {
		args := c.Args
		if args == nil {
			args = []argument{}
		}
		list = append(list, jsonCommand{c.ID, c.Title, c.Description, args, c.ResultType})
	}
	js, err := json.MarshalIndent(list, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encoding %s: %w", genJSON, err)
	}
	return map[string][]byte{
		filepath.Join(dir, genGo):   formatted,
		filepath.Join(dir, genJSON): append(js, '\n'),
	}, nil
}

// parseInterface reads the Interface and the argument structs.
func parseInterface(path string) ([]command, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, path, nil, parser.ParseComments)
	if err != nil {
		return nil, fmt.Errorf("parsing %s: %w", path, err)
	}
	structs := map[string]*ast.StructType{}
	var iface *ast.InterfaceType
	for _, decl := range f.Decls {
		gd, ok := decl.(*ast.GenDecl)
		if !ok {
			continue
		}
		for _, spec := range gd.Specs {
			ts, ok := spec.(*ast.TypeSpec)
			if !ok {
				continue
			}
			switch t := ts.Type.(type) {
			case *ast.StructType:
				structs[ts.Name.Name] = t
			case *ast.InterfaceType:
				if ts.Name.Name == "Interface" {
					iface = t
				}
			}
		}
	}
	if iface == nil {
		return nil, fmt.Errorf("%s: no type Interface", path)
	}
	var cmds []command
	for _, m := range iface.Methods.List {
		if len(m.Names) != 1 {
			return nil, fmt.Errorf("%s: Interface must list methods only", fset.Position(m.Pos()))
		}
		c, err := parseMethod(m, structs)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", fset.Position(m.Pos()), err)
		}
		cmds = append(cmds, c)
	}
	return cmds, nil
}

func parseMethod(m *ast.Field, structs map[string]*ast.StructType) (command, error) {
	name := m.Names[0].Name
	ft, ok := m.Type.(*ast.FuncType)
	if !ok {
		return command{}, fmt.Errorf("%s is not a method", name)
	}
	c := command{Method: name, ID: commandID(name)}
	title, desc, _ := strings.Cut(strings.TrimSpace(m.Doc.Text()), "\n")
	c.Title = strings.TrimSpace(title)
	c.Description = strings.Join(strings.Fields(desc), " ")
	if c.Title == "" {
		return command{}, fmt.Errorf("%s has no doc comment (its first line is the title)", name)
	}
	params := flatten(ft.Params)
	if len(params) != 2 || exprString(params[0]) != "context.Context" {
		return command{}, fmt.Errorf("%s must take (context.Context, XArgs)", name)
	}
	arg, ok := params[1].(*ast.Ident)
	if !ok || structs[arg.Name] == nil {
		return command{}, fmt.Errorf("%s: the argument must be a struct declared in interface.go", name)
	}
	c.ArgType = arg.Name
	results := flatten(ft.Results)
	switch {
	case len(results) == 1 && exprString(results[0]) == "error":
	case len(results) == 2 && exprString(results[1]) == "error":
		c.ResultType = exprString(results[0])
	default:
		return command{}, fmt.Errorf("%s must return error or (T, error)", name)
	}
	for _, field := range structs[arg.Name].Fields.List {
		for _, fname := range field.Names {
			a, err := parseField(fname.Name, field)
			if err != nil {
				return command{}, fmt.Errorf("%s.%s: %w", arg.Name, fname.Name, err)
			}
			c.Args = append(c.Args, a)
		}
	}
	return c, nil
}

func parseField(name string, field *ast.Field) (argument, error) {
	if field.Tag == nil {
		return argument{}, errors.New("needs a json tag")
	}
	tag, err := strconv.Unquote(field.Tag.Value)
	if err != nil {
		return argument{}, err
	}
	jsonTag, ok := reflect.StructTag(tag).Lookup("json")
	if !ok {
		return argument{}, errors.New("needs a json tag")
	}
	jname, opts, _ := strings.Cut(jsonTag, ",")
	if jname == "" {
		jname = name
	}
	typ, err := jsonType(field.Type)
	if err != nil {
		return argument{}, err
	}
	return argument{
		Name:        jname,
		Type:        typ,
		Optional:    strings.Contains(opts, "omitempty"),
		Description: strings.Join(strings.Fields(field.Doc.Text()), " "),
	}, nil
}

// jsonType names the JSON type of an argument field.
func jsonType(e ast.Expr) (string, error) {
	switch exprString(e) {
	case "string":
		return "string", nil
	case "int", "int32", "int64", "float64":
		return "number", nil
	case "bool":
		return "boolean", nil
	case "[]string":
		return "string[]", nil
	}
	return "", fmt.Errorf("type %s is not a JSON string, number, boolean or string list", exprString(e))
}

func flatten(fl *ast.FieldList) []ast.Expr {
	if fl == nil {
		return nil
	}
	var out []ast.Expr
	for _, f := range fl.List {
		n := max(len(f.Names), 1)
		for range n {
			out = append(out, f.Type)
		}
	}
	return out
}

func exprString(e ast.Expr) string {
	switch t := e.(type) {
	case *ast.Ident:
		return t.Name
	case *ast.SelectorExpr:
		return exprString(t.X) + "." + t.Sel.Name
	case *ast.StarExpr:
		return "*" + exprString(t.X)
	case *ast.ArrayType:
		if t.Len == nil {
			return "[]" + exprString(t.Elt)
		}
	}
	return fmt.Sprintf("%T", e)
}

// commandID turns DevStart into lambdalens.dev.start.
func commandID(method string) string {
	var parts []string
	start := 0
	for i, r := range method {
		if i > 0 && unicode.IsUpper(r) {
			parts = append(parts, strings.ToLower(method[start:i]))
			start = i
		}
	}
	parts = append(parts, strings.ToLower(method[start:]))
	return "lambdalens." + strings.Join(parts, ".")
}

var goTemplate = template.Must(template.New("gen").Parse(`// Code generated by "go generate" (lsp/command/gen); DO NOT EDIT.

package command

import (
	"context"
	"fmt"

	"go.lsp.dev/jsonrpc2"
	"go.lsp.dev/protocol"
)

// Command is the id of a command.
type Command string

// The commands, in declaration order.
const (
{{- range .}}
	// {{.Method}}: {{.Title}}.
	{{.Method}} Command = {{printf "%q" .ID}}
{{- end}}
)

// All lists every command in declaration order.
var All = []Command{ {{- range .}}{{.Method}}, {{end -}} }

// IDs returns the ids of every command, for ExecuteCommandOptions.
func IDs() []string {
	out := make([]string, len(All))
	for i, c := range All {
		out[i] = string(c)
	}
	return out
}

// Title returns the title users see for c.
func (c Command) Title() string {
	switch c {
{{- range .}}
	case {{.Method}}:
		return {{printf "%q" .Title}}
{{- end}}
	}
	return string(c)
}
{{range .}}
// New{{.Method}}Command returns a protocol.Command that runs {{.ID}}.
func New{{.Method}}Command(title string, args {{.ArgType}}) protocol.Command {
	return protocol.Command{Title: title, Command: string({{.Method}}), Arguments: []any{args}}
}
{{end}}
// Dispatch decodes the argument of a workspace/executeCommand request and
// calls the matching method of s.
func Dispatch(ctx context.Context, params *protocol.ExecuteCommandParams, s Interface) (any, error) {
	switch Command(params.Command) {
{{- range .}}
	case {{.Method}}:
		var args {{.ArgType}}
		if err := UnmarshalArgs(params.Arguments, &args); err != nil {
			return nil, fmt.Errorf("%s: %w", params.Command, err)
		}
{{- if .ResultType}}
		return s.{{.Method}}(ctx, args)
{{- else}}
		return nil, s.{{.Method}}(ctx, args)
{{- end}}
{{- end}}
	}
	return nil, fmt.Errorf("unknown command %q: %w", params.Command, jsonrpc2.ErrMethodNotFound)
}
`))
