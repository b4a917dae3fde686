package lsp_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.lsp.dev/protocol"
	"go.lsp.dev/uri"

	"github.com/lambdalens/lambdalens/lsp"
	"github.com/lambdalens/lambdalens/lsp/lsptest"
)

// bugCounter is a slog handler that counts the server's "bug: panic"
// records: the server recovers panics, so the fuzz tests look for them
// in the log.
type bugCounter struct{ n *atomic.Int32 }

func (b bugCounter) Enabled(context.Context, slog.Level) bool { return true }
func (b bugCounter) Handle(_ context.Context, r slog.Record) error {
	if strings.HasPrefix(r.Message, "bug:") {
		b.n.Add(1)
	}
	return nil
}
func (b bugCounter) WithAttrs([]slog.Attr) slog.Handler { return b }
func (b bugCounter) WithGroup(string) slog.Handler      { return b }

// fuzzConfig is a server configuration that touches nothing outside the
// session: no runtimes, no file watcher, no type checks.
func fuzzConfig(bugs *atomic.Int32) lsp.Config {
	return lsp.Config{
		Logger:   slog.New(bugCounter{bugs}),
		Settings: map[string]any{"fileWatcher": "off", "typeCheckOnSave": false},
	}
}

func rpcFrame(v any) []byte {
	body, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return fmt.Appendf(nil, "Content-Length: %d\r\n\r\n%s", len(body), body)
}

// FuzzServer feeds random and truncated JSON-RPC input to a session: it
// must neither panic nor hang, and must return when its input ends.
func FuzzServer(f *testing.F) {
	root := f.TempDir()
	if err := lsptest.WriteTxtar(root, goFunction); err != nil {
		f.Fatal(err)
	}
	rootURI := string(uri.File(root))
	file := rootURI + "/api/hello.go"
	init := rpcFrame(map[string]any{"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": map[string]any{"rootUri": rootURI, "capabilities": map[string]any{}}})
	inited := rpcFrame(map[string]any{"jsonrpc": "2.0", "method": "initialized", "params": map[string]any{}})
	open := rpcFrame(map[string]any{"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": map[string]any{"textDocument": map[string]any{"uri": file, "languageId": "go", "version": 1, "text": "package handler\n"}}})
	change := rpcFrame(map[string]any{"jsonrpc": "2.0", "method": "textDocument/didChange", "params": map[string]any{"textDocument": map[string]any{"uri": file, "version": 2}, "contentChanges": []any{map[string]any{"range": map[string]any{"start": map[string]any{"line": 9, "character": 99}, "end": map[string]any{"line": 0, "character": 1}}, "text": "é🎉"}}}})
	lens := rpcFrame(map[string]any{"jsonrpc": "2.0", "id": 2, "method": "textDocument/codeLens", "params": map[string]any{"textDocument": map[string]any{"uri": file}}})
	hover := rpcFrame(map[string]any{"jsonrpc": "2.0", "id": 3, "method": "textDocument/hover", "params": map[string]any{"textDocument": map[string]any{"uri": file}, "position": map[string]any{"line": 4, "character": 6}}})
	cmd := rpcFrame(map[string]any{"jsonrpc": "2.0", "id": 4, "method": "workspace/executeCommand", "params": map[string]any{"command": "lambdalens.inspect", "arguments": []any{map[string]any{}}}})
	cancel := rpcFrame(map[string]any{"jsonrpc": "2.0", "method": "$/cancelRequest", "params": map[string]any{"id": 2}})
	shutdown := rpcFrame(map[string]any{"jsonrpc": "2.0", "id": 5, "method": "shutdown"})
	exit := rpcFrame(map[string]any{"jsonrpc": "2.0", "method": "exit"})
	session := bytes.Join([][]byte{init, inited, open, change, lens, cancel, hover, cmd, shutdown, exit}, nil)
	f.Add(session)
	f.Add(session[:len(session)/2])
	f.Add(append(append([]byte{}, init...), []byte("Content-Length: 10\r\n\r\n{\"jsonrpc\"")...))
	f.Add([]byte("Content-Length: 99999999999\r\n\r\n"))
	f.Add(append([]byte("garbage\r\n\r\n"), session...))
	f.Add(rpcFrame(map[string]any{"jsonrpc": "2.0", "id": "x", "method": "initialize", "params": "not an object"}))
	f.Add(bytes.Join([][]byte{init, inited, rpcFrame(map[string]any{"jsonrpc": "2.0", "method": "textDocument/didChange", "params": map[string]any{"contentChanges": 5}})}, nil))
	f.Fuzz(func(t *testing.T, data []byte) {
		var bugs atomic.Int32
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		done := make(chan error, 1)
		go func() { done <- lsp.Run(ctx, bytes.NewReader(data), io.Discard, fuzzConfig(&bugs)) }()
		select {
		case <-done:
		case <-ctx.Done():
			buf := make([]byte, 1<<20)
			t.Fatalf("the session did not end when its input did:\n%s", buf[:runtime.Stack(buf, true)])
		}
		if n := bugs.Load(); n > 0 {
			t.Fatalf("%d panics recovered", n)
		}
	})
}

// FuzzEdits types random edits (including ranges outside the document)
// into an open buffer: the server must stay responsive and never panic.
func FuzzEdits(f *testing.F) {
	f.Add([]byte("\x03\x01abc\x00\x10\x05é🎉\n\x07\x07"))
	f.Add([]byte("\xff\xff\xff\xff"))
	f.Add([]byte("\x00\x00\x00package main\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		if err := lsptest.WriteTxtar(dir, goFunction); err != nil {
			t.Fatal(err)
		}
		var bugs atomic.Int32
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		sc, cc := net.Pipe()
		done := make(chan error, 1)
		go func() { done <- lsp.Run(ctx, sc, sc, fuzzConfig(&bugs)) }()
		e := lsptest.Connect(ctx, cc, dir, lsptest.Options{InitializationOptions: map[string]any{"diagnosticsDelay": "0ms"}})
		defer e.Close()
		if _, err := e.Initialize(ctx); err != nil {
			t.Fatal(err)
		}
		src, err := os.ReadFile(filepath.Join(dir, "api/hello.go"))
		if err != nil {
			t.Fatal(err)
		}
		if err := e.OpenBuffer(ctx, "api/hello.go", string(src)); err != nil {
			t.Fatal(err)
		}
		version := int32(1)
		for len(data) >= 3 && version < 64 {
			a, b, n := int(data[0]), int(data[1]), int(data[2]%16)
			data = data[3:]
			text := string(data[:min(n, len(data))])
			data = data[min(n, len(data)):]
			version++
			var err error
			if a%5 == 4 { // a raw range, possibly nonsense
				err = e.SendChange(ctx, "api/hello.go", version, []protocol.TextDocumentContentChangeEvent{{
					Range: protocol.Range{Start: protocol.Position{Line: uint32(a), Character: uint32(b)}, End: protocol.Position{Line: uint32(b), Character: uint32(a)}},
					Text:  text,
				}})
			} else {
				cur, _ := e.BufferText("api/hello.go")
				s, l := a%(len(cur)+1), b%(len(cur)+1)
				_, err = e.Edit(ctx, "api/hello.go", min(s, l), max(s, l), text)
				version = e.Version("api/hello.go")
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		// Still answering.
		if _, err := e.CodeLens(ctx, "api/hello.go"); err != nil {
			t.Fatalf("codeLens after the edits: %v", err)
		}
		if _, err := e.Hover(ctx, "api/hello.go", 0); err != nil {
			t.Fatalf("hover after the edits: %v", err)
		}
		if err := e.Shutdown(ctx); err != nil {
			t.Fatal(err)
		}
		_ = e.Exit(ctx)
		if err := <-done; err != nil {
			t.Fatalf("Run = %v", err)
		}
		if n := bugs.Load(); n > 0 {
			t.Fatalf("%d panics recovered", n)
		}
	})
}
