package lsp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"go.lsp.dev/jsonrpc2"
	"go.lsp.dev/protocol"
	"go.lsp.dev/uri"
)

// document is a file open in the editor. content is never modified in
// place: every edit makes a new slice, so loads and position mappings may
// keep the slice they were given.
type document struct {
	uri     protocol.DocumentURI // as the client spelled it
	path    string               // absolute, clean
	version int32
	content []byte
}

// changeEvent is protocol.TextDocumentContentChangeEvent with a Range that
// can be absent (a whole-document change).
type changeEvent struct {
	Range *protocol.Range `json:"range"`
	Text  string          `json:"text"`
}

type didChangeParams struct {
	TextDocument   protocol.VersionedTextDocumentIdentifier `json:"textDocument"`
	ContentChanges []changeEvent                            `json:"contentChanges"`
}

// DidOpen starts tracking a document; its content overrides the disk.
func (s *server) DidOpen(_ context.Context, params *protocol.DidOpenTextDocumentParams) error {
	path, err := uriPath(params.TextDocument.URI)
	if err != nil {
		s.log.Debug("ignoring a document that is not a file", "uri", params.TextDocument.URI, "err", err)
		return nil
	}
	doc := &document{uri: params.TextDocument.URI, path: path, version: params.TextDocument.Version, content: []byte(params.TextDocument.Text)}
	s.mu.Lock()
	s.docs[path] = doc
	s.mu.Unlock()
	if disk, err := os.ReadFile(path); err == nil && bytes.Equal(disk, doc.content) {
		// Opening a file changes nothing the model sees: do not cancel
		// a load in progress (the first one, typically, when an editor
		// opens files right after initialized).
		s.folderOrCreate(path)
		return nil
	}
	s.changed(path)
	return nil
}

// DidChange is called only by code that already holds typed params; the
// wire goes through handleDidChange (see handler).
func (s *server) DidChange(ctx context.Context, params *protocol.DidChangeTextDocumentParams) error {
	p := didChangeParams{TextDocument: params.TextDocument}
	for _, c := range params.ContentChanges {
		r := c.Range
		p.ContentChanges = append(p.ContentChanges, changeEvent{Range: &r, Text: c.Text})
	}
	return s.didChange(ctx, &p)
}

func (s *server) handleDidChange(ctx context.Context, raw json.RawMessage) error {
	var p didChangeParams
	if err := json.Unmarshal(raw, &p); err != nil {
		return fmt.Errorf("decoding textDocument/didChange: %w: %w", err, jsonrpc2.ErrParse)
	}
	return s.didChange(ctx, &p)
}

func (s *server) didChange(_ context.Context, p *didChangeParams) error {
	path, err := uriPath(p.TextDocument.URI)
	if err != nil {
		return nil
	}
	s.mu.Lock()
	doc, ok := s.docs[path]
	if !ok {
		s.mu.Unlock()
		s.log.Debug("change to a document that is not open", "path", path)
		return nil
	}
	next := &document{uri: doc.uri, path: path, version: p.TextDocument.Version, content: applyChanges(doc.content, p.ContentChanges)}
	s.docs[path] = next
	s.mu.Unlock()
	s.changed(path)
	return nil
}

// applyChanges applies content changes in order. Ranges are clamped to
// the document, so a confused client cannot make it fail.
func applyChanges(content []byte, changes []changeEvent) []byte {
	for _, c := range changes {
		if c.Range == nil {
			content = []byte(c.Text)
			continue
		}
		m := newMapper(content)
		start, end := m.offset(c.Range.Start), m.offset(c.Range.End)
		if end < start {
			start, end = end, start
		}
		next := make([]byte, 0, len(content)-(end-start)+len(c.Text))
		next = append(next, content[:start]...)
		next = append(next, c.Text...)
		next = append(next, content[end:]...)
		content = next
	}
	return content
}

// DidClose stops tracking a document: the disk is the truth again.
func (s *server) DidClose(_ context.Context, params *protocol.DidCloseTextDocumentParams) error {
	path, err := uriPath(params.TextDocument.URI)
	if err != nil {
		return nil
	}
	s.mu.Lock()
	delete(s.docs, path)
	s.mu.Unlock()
	s.changed(path)
	return nil
}

// DidSave reloads (the disk changed) and starts the typed check of a saved
// Go file. Nothing on the keystroke path runs go/packages.
func (s *server) DidSave(_ context.Context, params *protocol.DidSaveTextDocumentParams) error {
	path, err := uriPath(params.TextDocument.URI)
	if err != nil {
		return nil
	}
	f := s.changed(path)
	if f != nil {
		f.saved(path)
	}
	return nil
}

// changed tells the folder that holds path that the file changed (in the
// editor or on disk), creating a folder for it when the client opened no
// workspace folder. It returns the folder, or nil.
func (s *server) changed(path string) *folder {
	f, created := s.folderOrCreate(path)
	if f != nil && !created {
		f.invalidate(time.Now()) // a new folder loads on its own
	}
	return f
}

// folderOrCreate returns the folder of path (created is true when it was
// made for it).
//
// With workspace folders, that is the innermost folder holding path; a
// file outside all of them gets the project around it when guessRoot finds
// a vercel.json that encloses no workspace folder, as gopls gives orphan
// files in a module a view, and nothing otherwise. Without workspace folders (an
// editor opening lone files; every folder is then implicit), each file
// gets the project around it: the folder guessRoot finds, created the
// first time one of its files is seen. A file opened outside any project
// makes a folder of its own directory, which a project below that
// directory does not join: it gets its own folder too.
func (s *server) folderOrCreate(path string) (f *folder, created bool) {
	s.mu.Lock()
	f = s.folderForLocked(path)
	allImplicit := s.allImplicitLocked()
	s.mu.Unlock()
	if f != nil && !(f.implicit && allImplicit) {
		return f, false
	}
	root, marker := guessRoot(filepath.Dir(path))
	if f == nil && !allImplicit && (marker != "vercel.json" || s.enclosesFolder(root)) {
		// Outside the workspace folders, only a vercel.json marks a
		// project (an api/ folder is too common: GOROOT has one), and
		// never one around a workspace folder. Otherwise a lone file, as
		// gopls gives an orphan file a view only in a module.
		return nil, false
	}
	// A guess above f (a vercel.json created above a lone file's folder)
	// keeps f: the innermost folder is the one requests find.
	if f != nil && (f.root == root || !within(f.root, root)) {
		return f, false
	}
	s.mu.Lock()
	for _, g := range s.folders {
		if g.root == root {
			s.mu.Unlock()
			return g, false
		}
	}
	s.mu.Unlock()
	nf := s.addImplicitFolder(root)
	if nf == nil {
		return f, false
	}
	s.startWatchingFolder(nf)
	return nf, true
}

// allImplicitLocked reports whether every folder was created for opened
// files (true when there is none). s.mu must be held.
func (s *server) allImplicitLocked() bool {
	for _, f := range s.folders {
		if !f.implicit {
			return false
		}
	}
	return true
}

// folderForLocked returns the innermost folder holding path, or nil.
// s.mu must be held.
func (s *server) folderForLocked(path string) *folder {
	var best *folder
	for _, f := range s.folders {
		if within(f.root, path) && (best == nil || len(f.root) > len(best.root)) {
			best = f
		}
	}
	return best
}

// folderFor is folderForLocked for callers without the lock.
func (s *server) folderFor(path string) *folder {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.folderForLocked(path)
}

// guessRoot finds the project root of a file opened outside the workspace
// folders: the nearest directory up from dir with a vercel.json, else with
// an api/ directory, and the marker found; else dir itself and "".
func guessRoot(dir string) (root, marker string) {
	for _, marker := range []string{"vercel.json", "api"} {
		d := dir
		for range 32 {
			if _, err := os.Stat(filepath.Join(d, marker)); err == nil {
				return d, marker
			}
			parent := filepath.Dir(d)
			if parent == d {
				break
			}
			d = parent
		}
	}
	return dir, ""
}

// enclosesFolder reports whether root holds a workspace folder.
func (s *server) enclosesFolder(root string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, f := range s.folders {
		if within(root, f.root) {
			return true
		}
	}
	return false
}

// within reports whether path is root or below it.
func within(root, path string) bool {
	return path == root || strings.HasPrefix(path, root+string(filepath.Separator))
}

// uriPath returns the absolute, clean path of a file URI. Unlike
// uri.URI.Filename it returns an error instead of panicking.
func uriPath(u protocol.DocumentURI) (string, error) {
	pu, err := url.Parse(string(u))
	if err != nil {
		return "", fmt.Errorf("parsing URI %q: %w", u, err)
	}
	if pu.Scheme != uri.FileScheme {
		return "", fmt.Errorf("URI %q is not a file", u)
	}
	p := pu.Path
	if len(p) >= 3 && p[0] == '/' && p[2] == ':' { // /C:/... on Windows
		p = p[1:]
	}
	if p == "" {
		return "", errors.New("empty file URI")
	}
	return filepath.Clean(filepath.FromSlash(p)), nil
}

// pathURI returns the file URI of an absolute path.
func pathURI(path string) protocol.DocumentURI { return uri.File(path) }
