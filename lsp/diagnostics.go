package lsp

import (
	"context"
	"fmt"
	"hash/maphash"
	"os"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"

	"go.lsp.dev/protocol"
	"go.lsp.dev/uri"

	"github.com/lambdalens/lambdalens/runtimes"
)

// diagnosticSource is the "source" of every diagnostic the server sends.
const diagnosticSource = "lambdalens"

// diagState holds a folder's diagnostics by origin, merges them per file
// and remembers what was published, so that a pass sends only the files
// whose diagnostics (or document version) changed, and clears files whose
// problems went away.
type diagState struct {
	// mu guards everything below and serializes publishing, so that
	// notifications leave in the order their states were computed.
	mu sync.Mutex
	// model: the project model's diagnostics (every keystroke), by file.
	model    map[string][]runtimes.Diagnostic
	modelGen uint64
	// quick: the quick phase's diagnostics of edited files (see
	// quickPass), each with the editor state it saw; an entry stands in
	// for the model's diagnostics of its file until a model at least as
	// new arrives.
	quick map[string]quickEntry
	// typed: the on-save type check's diagnostics, by file, valid while
	// the file's content hashes to typedSum[file].
	typed    map[string][]runtimes.Diagnostic
	typedSum map[string]uint64
	replaces map[string][]string // file → model codes superseded by typed
	// dev and build: from the dev server and from builds, by function ID.
	dev   map[string][]runtimes.Diagnostic
	build map[string][]runtimes.Diagnostic
	// published: what was last sent, by file.
	published map[string]publishedFile
	seed      maphash.Seed
}

type quickEntry struct {
	diags []runtimes.Diagnostic
	snap  *snapshot
}

type publishedFile struct {
	input   []runtimes.Diagnostic
	version int32
	uri     protocol.DocumentURI // as sent, to clear it later
}

func newDiagState() *diagState {
	return &diagState{
		model: map[string][]runtimes.Diagnostic{}, quick: map[string]quickEntry{}, typed: map[string][]runtimes.Diagnostic{},
		typedSum: map[string]uint64{}, replaces: map[string][]string{},
		dev: map[string][]runtimes.Diagnostic{}, build: map[string][]runtimes.Diagnostic{},
		published: map[string]publishedFile{}, seed: maphash.MakeSeed(),
	}
}

// setModel replaces the model's diagnostics with those of snap, unless a
// newer model was already applied.
func (d *diagState) setModel(snap *snapshot) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if snap.gen < d.modelGen {
		return
	}
	d.modelGen = snap.gen
	d.model = groupByFile(snap.project.Diagnostics)
	for f, q := range d.quick {
		if q.snap.gen <= snap.gen {
			delete(d.quick, f)
		}
	}
}

// setQuick records the quick phase's diagnostics of the files in diags,
// computed for snap. Other files keep theirs: a pass diagnoses only the
// documents whose content changed since.
func (d *diagState) setQuick(snap *snapshot, diags map[string][]runtimes.Diagnostic) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if snap.gen < d.modelGen {
		return
	}
	for f, ds := range diags {
		if q, ok := d.quick[f]; ok && q.snap.gen > snap.gen {
			continue
		}
		d.quick[f] = quickEntry{diags: ds, snap: snap}
	}
}

// setTyped replaces the typed diagnostics of files (relative paths) with
// diags; sums are the files' content hashes when checked.
func (d *diagState) setTyped(files []string, sums map[string]uint64, diags []runtimes.Diagnostic, replaces map[string][]string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, f := range files {
		delete(d.typed, f)
		delete(d.typedSum, f)
		delete(d.replaces, f)
	}
	for f, ds := range groupByFile(diags) {
		d.typed[f] = ds
	}
	for f, s := range sums {
		d.typedSum[f] = s
	}
	for f, codes := range replaces {
		d.replaces[f] = codes
	}
}

// typedFiles returns the files that have typed diagnostics.
func (d *diagState) typedFiles() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]string, 0, len(d.typed))
	for f := range d.typed {
		out = append(out, f)
	}
	sort.Strings(out)
	return out
}

// setDev sets (nil clears) the dev server's diagnostics of a function.
func (d *diagState) setDev(fn string, diags []runtimes.Diagnostic) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(diags) == 0 {
		delete(d.dev, fn)
		return
	}
	d.dev[fn] = diags
}

// clearDev removes every dev server diagnostic.
func (d *diagState) clearDev() {
	d.mu.Lock()
	defer d.mu.Unlock()
	clear(d.dev)
}

// setBuild sets (nil clears) the build diagnostics of a function.
func (d *diagState) setBuild(fn string, diags []runtimes.Diagnostic) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(diags) == 0 {
		delete(d.build, fn)
		return
	}
	d.build[fn] = diags
}

// dropBuildFile removes the build diagnostics located in file (they are
// about content that was just replaced) and reports whether there were any.
func (d *diagState) dropBuildFile(file string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	dropped := false
	for fn, ds := range d.build {
		kept := slices.DeleteFunc(slices.Clone(ds), func(x runtimes.Diagnostic) bool { return x.File == file })
		if len(kept) != len(ds) {
			dropped = true
			if len(kept) == 0 {
				delete(d.build, fn)
			} else {
				d.build[fn] = kept
			}
		}
	}
	return dropped
}

func groupByFile(diags []runtimes.Diagnostic) map[string][]runtimes.Diagnostic {
	out := map[string][]runtimes.Diagnostic{}
	for _, d := range diags {
		if d.File == "" {
			continue
		}
		out[d.File] = append(out[d.File], d)
	}
	return out
}

// fileContent returns the content a diagnostic of rel refers to: the open
// document's (as of snap) or the file on disk. Missing files are empty.
func (f *folder) fileContent(snap *snapshot, rel string) []byte {
	abs := f.abs(rel)
	if snap != nil {
		if c, ok := snap.overlay[abs]; ok {
			return c
		}
	}
	data, err := os.ReadFile(abs)
	if err != nil {
		return nil
	}
	return data
}

// exists reports whether file (relative) is open in snap or on disk.
func (f *folder) exists(snap *snapshot, file string) bool {
	abs := f.abs(file)
	if snap != nil {
		if _, open := snap.overlay[abs]; open {
			return true
		}
	}
	_, err := os.Stat(abs)
	return err == nil
}

// publish sends the diagnostics of every file whose merged diagnostics or
// open-document version changed since the last publish. snap provides the
// document contents and versions; nil means the folder's newest model.
func (f *folder) publish(ctx context.Context, snap *snapshot) { f.publishFiles(ctx, snap, nil) }

// publishFiles is publish restricted to the files in only (relative
// paths; nil means every file). The quick phase passes the files it
// re-analyzed: its snapshot pairs the previous model's diagnostics with
// the current documents, so for any other file it would send diagnostics
// of an older text under the current text's version.
func (f *folder) publishFiles(ctx context.Context, snap *snapshot, only map[string]bool) {
	select {
	case <-f.s.ready:
	case <-ctx.Done():
		return
	}
	if snap == nil {
		snap = f.current()
	}
	d := f.diags
	d.mu.Lock()
	defer d.mu.Unlock()

	// Index dev and build diagnostics by file: once each (two functions
	// compiling one shared file report its error twice), and only for
	// files that still exist (they live until the next build otherwise).
	extra := map[string][]runtimes.Diagnostic{}
	seen := map[string]bool{}
	exists := map[string]bool{}
	for _, src := range []map[string][]runtimes.Diagnostic{d.dev, d.build} {
		for _, fn := range sortedKeys(src) {
			for _, x := range src[fn] {
				if x.File == "" {
					continue
				}
				ok, checked := exists[x.File]
				if !checked {
					ok = f.exists(snap, x.File)
					exists[x.File] = ok
				}
				key := fmt.Sprintf("%s|%v|%d|%s|%s", x.File, x.Range, x.Severity, x.Code, x.Message)
				if ok && !seen[key] {
					seen[key] = true
					extra[x.File] = append(extra[x.File], x)
				}
			}
		}
	}
	files := map[string]bool{}
	for _, m := range []map[string][]runtimes.Diagnostic{d.model, d.typed, extra} {
		for file := range m {
			files[file] = true
		}
	}
	for file := range d.quick {
		files[file] = true
	}
	for file := range d.published {
		files[file] = true
	}
	if only != nil {
		for file := range files {
			if !only[file] {
				delete(files, file)
			}
		}
	}
	caps := f.s.capabilities()
	base := snap
	for _, file := range sortedKeys(files) {
		if ctx.Err() != nil {
			return
		}
		// A file the quick phase diagnosed is about the editor state it
		// saw, which may be newer than snap's.
		snap := base
		if q, ok := d.quick[file]; ok && (snap == nil || q.snap.gen > snap.gen) {
			snap = q.snap
		}
		var content []byte
		loaded := false
		load := func() []byte {
			if !loaded {
				content, loaded = f.fileContent(snap, file), true
			}
			return content
		}
		merged := d.merged(file, extra[file], load)
		var version int32
		var docURI protocol.DocumentURI
		if snap != nil {
			version = snap.versions[f.abs(file)]
			docURI = snap.uris[f.abs(file)]
		}
		prev, ok := d.published[file]
		if ok && prev.version == version && reflect.DeepEqual(prev.input, merged) {
			continue
		}
		if !ok && len(merged) == 0 {
			continue
		}
		if docURI == "" {
			docURI = pathURI(f.abs(file))
		}
		params := &protocol.PublishDiagnosticsParams{
			URI:         docURI,
			Version:     uint32(max(version, 0)),
			Diagnostics: f.toProtocol(snap, file, merged, load(), caps),
		}
		if err := f.s.client.PublishDiagnostics(ctx, params); err != nil {
			f.log.Debug("publishing diagnostics", "file", file, "err", err)
			return
		}
		if len(merged) == 0 {
			delete(d.published, file)
		} else {
			d.published[file] = publishedFile{input: merged, version: version, uri: docURI}
		}
	}
}

// clearPublished sends an empty list for every file the folder has
// diagnostics on: the folder is gone (removed from the workspace), and
// no other folder owns those files' diagnostics.
func (f *folder) clearPublished(ctx context.Context) {
	d := f.diags
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, file := range sortedKeys(d.published) {
		params := &protocol.PublishDiagnosticsParams{URI: d.published[file].uri, Diagnostics: []protocol.Diagnostic{}}
		if err := f.s.client.PublishDiagnostics(ctx, params); err != nil {
			f.log.Debug("clearing diagnostics", "file", file, "err", err)
			return
		}
		delete(d.published, file)
	}
}

// merged returns the diagnostics of file from every origin. d.mu is held.
// Typed diagnostics count only while the file still has the content that
// was checked; then they may supersede some model diagnostics.
func (d *diagState) merged(file string, extra []runtimes.Diagnostic, content func() []byte) []runtimes.Diagnostic {
	var typed []runtimes.Diagnostic
	var replaced []string
	if sum, ok := d.typedSum[file]; ok && len(d.typed[file]) > 0 {
		if maphash.Bytes(d.seed, content()) == sum {
			typed, replaced = d.typed[file], d.replaces[file]
		}
	}
	model := d.model[file]
	if q, ok := d.quick[file]; ok {
		model = q.diags
	}
	out := make([]runtimes.Diagnostic, 0, len(model)+len(typed)+len(extra))
	for _, x := range model {
		if !slices.Contains(replaced, x.Code) {
			out = append(out, x)
		}
	}
	out = append(out, typed...)
	for _, x := range extra {
		// A build or dev server error the type check reported too (the
		// compiler and go/types word it alike) is shown once.
		if !slices.ContainsFunc(typed, func(t runtimes.Diagnostic) bool {
			return t.Range.Start.Line == x.Range.Start.Line && t.Range.Start.Column == x.Range.Start.Column && t.Message == x.Message
		}) {
			out = append(out, x)
		}
	}
	return out
}

// sum hashes a file's content the way merged compares it.
func (d *diagState) sum(content []byte) uint64 { return maphash.Bytes(d.seed, content) }

// toProtocol converts the diagnostics of file, whose content is content.
func (f *folder) toProtocol(snap *snapshot, file string, diags []runtimes.Diagnostic, content []byte, caps clientCaps) []protocol.Diagnostic {
	out := make([]protocol.Diagnostic, 0, len(diags)) // never nil: null would not clear
	m := newFileMapper(file, content)
	mappers := map[string]*mapper{}
	for _, d := range diags {
		sev := protocol.DiagnosticSeverity(d.Severity)
		if sev < protocol.DiagnosticSeverityError || sev > protocol.DiagnosticSeverityHint {
			sev = protocol.DiagnosticSeverityError
		}
		pd := protocol.Diagnostic{
			Range:    m.rangeOf(d.Range),
			Severity: sev,
			Source:   diagnosticSource,
			Message:  d.Message,
		}
		if d.Code != "" {
			pd.Code = d.Code
			if href := docLink(d.Code); href != "" {
				pd.CodeDescription = &protocol.CodeDescription{Href: uri.URI(href)}
			}
		}
		var notes []string
		for _, r := range d.Related {
			rm := m
			if r.File != d.File {
				if rm = mappers[r.File]; rm == nil {
					rm = newFileMapper(r.File, f.fileContent(snap, r.File))
					mappers[r.File] = rm
				}
			}
			loc := protocol.Location{URI: pathURI(f.abs(r.File)), Range: rm.rangeOf(r.Range)}
			if caps.relatedInformation {
				pd.RelatedInformation = append(pd.RelatedInformation, protocol.DiagnosticRelatedInformation{Location: loc, Message: r.Message})
			} else {
				notes = append(notes, fmt.Sprintf("%s:%d:%d: %s", r.File, loc.Range.Start.Line+1, loc.Range.Start.Character+1, r.Message))
			}
		}
		if len(notes) > 0 {
			pd.Message += "\n" + strings.Join(notes, "\n")
		}
		out = append(out, pd)
	}
	return out
}

// docLink returns the documentation page for a diagnostic code, or "".
func docLink(code string) string {
	const (
		goDocs     = "https://vercel.com/docs/functions/runtimes/go"
		pythonDocs = "https://vercel.com/docs/functions/runtimes/python"
		configDocs = "https://vercel.com/docs/project-configuration"
	)
	switch {
	case code == "go-version-newer":
		return "https://go.dev/doc/toolchain"
	case code == "go-type-error" || code == "go-syntax" || code == "go-build":
		return ""
	case strings.HasPrefix(code, "go-"):
		return goDocs
	case strings.HasPrefix(code, "py-"), strings.HasPrefix(code, "python-"):
		return pythonDocs
	case strings.HasPrefix(code, "function"), code == "unused-function":
		return configDocs + "#functions"
	case strings.HasPrefix(code, "build-"), code == "unused-build":
		return configDocs + "#builds"
	case strings.HasPrefix(code, "route"):
		return configDocs + "#routes"
	case strings.HasPrefix(code, "redirect"):
		return configDocs + "#redirects"
	case strings.HasPrefix(code, "header"):
		return configDocs + "#headers"
	case strings.HasPrefix(code, "json-"), strings.HasPrefix(code, "config-"), code == "unknown-key", code == "unknown-property":
		return configDocs
	}
	return ""
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// capabilities returns the client's capabilities.
func (s *server) capabilities() clientCaps {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.caps
}
