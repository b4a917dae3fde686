package python

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"text/template"

	"github.com/lambdalens/lambdalens/runtimes"
)

// adapterFS holds the Python side of a Lambda build: the runtime adapter
// package lambdalens_runtime (standard library only; see its docstring for
// the event and response contract) and the trampoline template.
//
//go:embed adapter/lambdalens_runtime/*.py adapter/trampoline.py.tmpl
var adapterFS embed.FS

const (
	// adapterPackage is the adapter's import name and its directory under
	// the vendor directory of a .func.
	adapterPackage = "lambdalens_runtime"
	// adapterDir is adapterPackage's directory inside adapterFS.
	adapterDir = "adapter/" + adapterPackage
	// trampolineFile is the Lambda handler module at the task root, named
	// as Vercel names it.
	trampolineFile = "vc__handler__python.py"
	// lambdaHandler is the .vc-config.json handler.
	lambdaHandler = "vc__handler__python.vc_handler"
	// vendorDir holds the dependencies and the adapter; PYTHONPATH names
	// it, as on Vercel.
	vendorDir = "_vendor"
)

var trampolineTmpl = template.Must(template.New("trampoline.py.tmpl").
	Funcs(template.FuncMap{"py": pyString}).
	ParseFS(adapterFS, "adapter/trampoline.py.tmpl"))

// pyString quotes s as a Python string literal. A JSON string is one:
// Python reads its \uXXXX, \" and \\ escapes the same way.
func pyString(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // encoding a string cannot fail
	return strings.TrimSuffix(b.String(), "\n")
}

// trampolineData fills the trampoline template.
type trampolineData struct {
	Version    string // adapter version, for the header comment
	Entrypoint string // "api/x.py"
	Module     string // "api.x"
	VendorDir  string
	Variable   string // the analysed symbol ("app"); "" lets the adapter look
	Hint       string // runtimes.AppKind as a string; "" when unknown
}

// moduleName is the module an entrypoint is imported as, as Vercel's
// entrypointToModule computes it: "/" becomes ".", ".py" and a trailing
// "/__init__" are dropped.
func moduleName(file string) string {
	m := strings.TrimSuffix(path.Clean(file), ".py")
	m = strings.TrimSuffix(m, "/__init__")
	return strings.ReplaceAll(m, "/", ".")
}

// renderTrampoline returns vc__handler__python.py for an entrypoint.
func renderTrampoline(file string, ep runtimes.Entrypoint) ([]byte, error) {
	var b bytes.Buffer
	err := trampolineTmpl.Execute(&b, trampolineData{
		Version:    adapterVersion(),
		Entrypoint: file,
		Module:     moduleName(file),
		VendorDir:  vendorDir,
		Variable:   ep.Symbol,
		Hint:       string(ep.AppKind),
	})
	if err != nil {
		return nil, fmt.Errorf("rendering %s: %w", trampolineFile, err)
	}
	return b.Bytes(), nil
}

// writeAdapter writes the trampoline at the root of outDir and the adapter
// package under outDir/_vendor/lambdalens_runtime/.
func writeAdapter(outDir, file string, ep runtimes.Entrypoint) error {
	tramp, err := renderTrampoline(file, ep)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(outDir, trampolineFile), tramp, 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", trampolineFile, err)
	}
	dst := filepath.Join(outDir, vendorDir, adapterPackage)
	// A dependency cannot be named lambdalens_runtime on purpose; replace
	// whatever is there rather than mix two versions.
	if err := os.RemoveAll(dst); err != nil {
		return fmt.Errorf("writing the adapter package: %w", err)
	}
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return fmt.Errorf("writing the adapter package: %w", err)
	}
	entries, err := fs.ReadDir(adapterFS, adapterDir)
	if err != nil {
		return fmt.Errorf("reading the embedded adapter: %w", err)
	}
	for _, e := range entries {
		b, err := adapterFS.ReadFile(adapterDir + "/" + e.Name())
		if err != nil {
			return fmt.Errorf("reading the embedded adapter: %w", err)
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), b, 0o644); err != nil {
			return fmt.Errorf("writing the adapter package: %w", err)
		}
	}
	return nil
}

// adapterDigest is a hash of every embedded adapter file, computed once.
var adapterDigest = sync.OnceValue(func() string {
	h := sha256.New()
	_ = fs.WalkDir(adapterFS, "adapter", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := adapterFS.ReadFile(p)
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s %d\n", p, len(b))
		h.Write(b)
		return nil
	})
	return hex.EncodeToString(h.Sum(nil))
})

// adapterVersion is a short form of adapterDigest, shown in the trampoline.
func adapterVersion() string { return "adapter-" + adapterDigest()[:12] }
