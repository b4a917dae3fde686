package lsp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"go.lsp.dev/jsonrpc2"
)

// memRWC reads from a fixed input and records what is written.
type memRWC struct {
	in  io.Reader
	mu  sync.Mutex
	out bytes.Buffer
}

func (m *memRWC) Read(p []byte) (int, error) { return m.in.Read(p) }
func (m *memRWC) Write(p []byte) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.out.Write(p)
}
func (m *memRWC) Close() error { return nil }

func frame(body string) string { return fmt.Sprintf("Content-Length: %d\r\n\r\n%s", len(body), body) }

func TestStreamRecovers(t *testing.T) {
	valid := `{"jsonrpc":"2.0","method":"initialized","params":{}}`
	for _, tc := range []struct {
		name  string
		input string
		// reply is a substring of what the stream writes back, if any.
		reply string
	}{
		{"plain", frame(valid), ""},
		{"stray blank lines", "\r\n\r\n" + frame(valid), ""},
		{"lower-case header and extra headers", "content-length: 52\r\nContent-Type: x\r\n\r\n" + valid, ""},
		{"bad header block is skipped", "Content-Length: nope\r\n\r\n" + frame(valid), ""},
		{"missing length is skipped", "X: y\r\n\r\n" + frame(valid), ""},
		{"invalid JSON is skipped", frame(`{"jsonrpc":`) + frame(valid), ""},
		{"a call that does not decode gets an error", frame(`{"jsonrpc":"1.0","id":7,"method":"x"}`) + frame(valid), `"id":7`},
		{"overlong header line", strings.Repeat("x", 10000) + "\r\n\r\n" + frame(valid), ""},
	} {
		rwc := &memRWC{in: strings.NewReader(tc.input)}
		s := newStream(rwc, slog.New(slog.DiscardHandler))
		msg, _, err := s.Read(context.Background())
		if err != nil {
			t.Errorf("%s: Read: %v", tc.name, err)
			continue
		}
		if n, ok := msg.(*jsonrpc2.Notification); !ok || n.Method() != "initialized" {
			t.Errorf("%s: read %#v, want the initialized notification", tc.name, msg)
		}
		if got := rwc.out.String(); !strings.Contains(got, tc.reply) || tc.reply == "" && got != "" {
			t.Errorf("%s: wrote %q, want %q", tc.name, got, tc.reply)
		}
		if _, _, err := s.Read(context.Background()); !errors.Is(err, io.EOF) {
			t.Errorf("%s: Read at the end = %v, want EOF", tc.name, err)
		}
	}
}

// A huge announced length is not allocated up front.
func TestStreamHugeLength(t *testing.T) {
	rwc := &memRWC{in: strings.NewReader("Content-Length: 2000000000\r\n\r\n{}")}
	s := newStream(rwc, slog.New(slog.DiscardHandler))
	if _, _, err := s.Read(context.Background()); err == nil || !errors.Is(err, io.EOF) {
		t.Errorf("Read = %v, want an EOF error", err)
	}
}

func TestStreamWrite(t *testing.T) {
	rwc := &memRWC{in: strings.NewReader("")}
	s := newStream(rwc, slog.New(slog.DiscardHandler))
	n, err := jsonrpc2.NewNotification("x", map[string]int{"a": 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Write(context.Background(), n); err != nil {
		t.Fatal(err)
	}
	body := `{"jsonrpc":"2.0","method":"x","params":{"a":1}}`
	if got := rwc.out.String(); got != frame(body) {
		t.Errorf("wrote %q, want %q", got, frame(body))
	}
}

func TestCancelID(t *testing.T) {
	for _, tc := range []struct {
		params string
		want   jsonrpc2.ID
		ok     bool
	}{
		{`{"id":12}`, jsonrpc2.NewNumberID(12), true},
		{`{"id":"abc"}`, jsonrpc2.NewStringID("abc"), true},
		{`{"id":1.5}`, jsonrpc2.ID{}, false},
		{`{}`, jsonrpc2.ID{}, false},
		{`nonsense`, jsonrpc2.ID{}, false},
	} {
		got, ok := cancelID(json.RawMessage(tc.params))
		if ok != tc.ok || got != tc.want {
			t.Errorf("cancelID(%s) = %v %v, want %v %v", tc.params, got, ok, tc.want, tc.ok)
		}
	}
}
