package python

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// testWheel builds a pure-Python wheel of name==version whose module
// records origin, for telling where an install came from.
func testWheel(t *testing.T, name, version, origin string) (file string, data []byte) {
	t.Helper()
	mod := strings.ReplaceAll(name, "-", "_")
	info := mod + "-" + version + ".dist-info"
	files := [][2]string{
		{mod + "/__init__.py", fmt.Sprintf("ORIGIN = %q\n", origin)},
		{info + "/METADATA", "Metadata-Version: 2.1\nName: " + name + "\nVersion: " + version + "\n"},
		{info + "/WHEEL", "Wheel-Version: 1.0\nGenerator: lambdalens-test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"},
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	var record strings.Builder
	for _, f := range files {
		w, err := zw.Create(f[0])
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(f[1]))
		sum := sha256.Sum256([]byte(f[1]))
		fmt.Fprintf(&record, "%s,sha256=%s,%d\n", f[0], base64.RawURLEncoding.EncodeToString(sum[:]), len(f[1]))
	}
	record.WriteString(info + "/RECORD,,\n")
	w, err := zw.Create(info + "/RECORD")
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte(record.String()))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return mod + "-" + version + "-py3-none-any.whl", buf.Bytes()
}

// testIndex is a PEP 503 simple index served on 127.0.0.1.
type testIndex struct {
	*httptest.Server
	mu    sync.Mutex
	files map[string]map[string][]byte // project → file → content
}

func startTestIndex(t *testing.T) *testIndex {
	t.Helper()
	ix := &testIndex{files: map[string]map[string][]byte{}}
	ix.Server = httptest.NewServer(http.HandlerFunc(ix.serve))
	t.Cleanup(ix.Close)
	return ix
}

// URL is the index URL to give installers.
func (ix *testIndex) URL() string { return ix.Server.URL + "/simple" }

// add publishes a wheel of name==version and returns its file name and
// sha256.
func (ix *testIndex) add(t *testing.T, name, version, origin string) (file, sum string) {
	file, data := testWheel(t, name, version, origin)
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if ix.files[name] == nil {
		ix.files[name] = map[string][]byte{}
	}
	ix.files[name][file] = data
	h := sha256.Sum256(data)
	return file, hex.EncodeToString(h[:])
}

func (ix *testIndex) serve(w http.ResponseWriter, r *http.Request) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	p := strings.Trim(r.URL.Path, "/")
	switch {
	case p == "simple":
		w.Header().Set("Content-Type", "text/html")
		for name := range ix.files {
			fmt.Fprintf(w, "<a href=\"/simple/%s/\">%s</a>\n", name, name)
		}
	case strings.HasPrefix(p, "simple/"):
		files, ok := ix.files[strings.TrimPrefix(p, "simple/")]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html")
		for file, data := range files {
			h := sha256.Sum256(data)
			fmt.Fprintf(w, "<a href=\"/files/%s#sha256=%s\">%s</a>\n", file, hex.EncodeToString(h[:]), file)
		}
	case strings.HasPrefix(p, "files/"):
		for _, files := range ix.files {
			if data, ok := files[strings.TrimPrefix(p, "files/")]; ok {
				w.Write(data)
				return
			}
		}
		http.NotFound(w, r)
	default:
		http.NotFound(w, r)
	}
}
