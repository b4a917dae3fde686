package lsp

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync"

	"go.lsp.dev/jsonrpc2"
)

// Framing limits. jsonrpc2.NewStream trusts the Content-Length header
// (it allocates up to 2 GiB before reading a byte) and ends the connection
// on the first message that does not decode; a language server must
// survive both, so the server reads its input with stream instead.
const (
	// maxMessage bounds the body of one message. Larger bodies are
	// skipped. 64 MiB holds any realistic didOpen.
	maxMessage = 64 << 20
	// maxHeaderLine bounds one header line.
	maxHeaderLine = 4 << 10
)

// stream is a jsonrpc2.Stream with LSP's base-protocol framing
// ("Content-Length: n\r\n\r\n" + n bytes of JSON) that recovers from bad
// input: an unparsable header line or body is logged and skipped (a call
// whose id could still be read gets an error reply), and the body is read
// as it arrives instead of being allocated from the announced length. Read
// returns an error only when the underlying reader fails or ends.
type stream struct {
	rwc io.ReadWriteCloser
	in  *bufio.Reader
	log *slog.Logger

	// writeMu serializes writes: the conn writes replies and
	// notifications, and Read writes error replies to bad calls.
	writeMu sync.Mutex
}

func newStream(rwc io.ReadWriteCloser, log *slog.Logger) *stream {
	return &stream{rwc: rwc, in: bufio.NewReaderSize(rwc, 64<<10), log: log}
}

// Read implements jsonrpc2.Stream.
func (s *stream) Read(ctx context.Context) (jsonrpc2.Message, int64, error) {
	var total int64
	for {
		if err := ctx.Err(); err != nil {
			return nil, total, err
		}
		length, n, err := s.readHeader()
		total += n
		if err != nil {
			return nil, total, err
		}
		if length < 0 {
			continue // a bad header block, already logged
		}
		if length > maxMessage {
			s.log.Warn("skipping an oversized message", "bytes", length)
			m, err := io.CopyN(io.Discard, s.in, length)
			total += m
			if err != nil {
				return nil, total, fmt.Errorf("skipping a message of %d bytes: %w", length, err)
			}
			continue
		}
		var body bytes.Buffer
		m, err := io.CopyN(&body, s.in, length)
		total += m
		if err != nil {
			return nil, total, fmt.Errorf("reading a message of %d bytes: %w", length, err)
		}
		msg, err := decodeMessage(body.Bytes())
		if err != nil {
			s.log.Warn("skipping a message that does not decode", "err", err)
			s.replyInvalid(ctx, body.Bytes(), err)
			continue
		}
		return msg, total, nil
	}
}

// decodeMessage is jsonrpc2.DecodeMessage, guarded: the library decoder
// must not take the server down on input it did not expect.
func decodeMessage(data []byte) (msg jsonrpc2.Message, err error) {
	defer func() {
		if r := recover(); r != nil {
			msg, err = nil, fmt.Errorf("decoding a JSON-RPC message: panic: %v", r)
		}
	}()
	if !json.Valid(data) {
		return nil, errors.New("decoding a JSON-RPC message: invalid JSON")
	}
	return jsonrpc2.DecodeMessage(data)
}

// replyInvalid answers a message that did not decode, when it looks like a
// call whose id can be read, so that the client does not wait forever.
func (s *stream) replyInvalid(ctx context.Context, body []byte, cause error) {
	var probe struct {
		ID     json.RawMessage `json:"id"`
		Method *string         `json:"method"`
	}
	if json.Unmarshal(body, &probe) != nil || probe.Method == nil || len(probe.ID) == 0 {
		return
	}
	var id any
	if json.Unmarshal(probe.ID, &id) != nil {
		return
	}
	switch id.(type) {
	case float64, string:
	default:
		return
	}
	reply, err := json.Marshal(map[string]any{
		"jsonrpc": "2.0",
		"id":      id,
		"error":   map[string]any{"code": jsonrpc2.InvalidRequest, "message": cause.Error()},
	})
	if err != nil {
		return
	}
	if _, err := s.writeFrame(ctx, reply); err != nil {
		s.log.Debug("replying to an invalid message", "err", err)
	}
}

// readHeader reads one header block. It returns the Content-Length, or -1
// when the block was unusable (and logged).
func (s *stream) readHeader() (length int64, total int64, err error) {
	length = -1
	bad, seen := false, false
	for {
		line, n, err := s.readLine()
		total += n
		if err != nil {
			if errors.Is(err, io.EOF) && total == 0 {
				return -1, total, io.EOF
			}
			return -1, total, fmt.Errorf("reading a message header: %w", err)
		}
		if line == "" {
			if !seen {
				continue // stray blank line between messages
			}
			break
		}
		seen = true
		name, value, ok := strings.Cut(line, ":")
		if !ok {
			bad = true
			continue
		}
		if strings.EqualFold(strings.TrimSpace(name), "Content-Length") {
			v, err := strconv.ParseInt(strings.TrimSpace(value), 10, 64)
			if err != nil || v <= 0 {
				bad = true
				continue
			}
			length = v
		}
	}
	if bad || length < 0 {
		s.log.Warn("skipping a message with an invalid header")
		return -1, total, nil
	}
	return length, total, nil
}

// readLine reads a header line without its line terminator. Overlong lines
// are consumed and truncated.
func (s *stream) readLine() (string, int64, error) {
	var buf []byte
	var total int64
	for {
		chunk, err := s.in.ReadSlice('\n')
		total += int64(len(chunk))
		if len(buf) < maxHeaderLine {
			buf = append(buf, chunk[:min(len(chunk), maxHeaderLine-len(buf))]...)
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if err != nil {
			return "", total, err
		}
		return strings.TrimRight(string(buf), "\r\n"), total, nil
	}
}

// Write implements jsonrpc2.Stream.
func (s *stream) Write(ctx context.Context, msg jsonrpc2.Message) (int64, error) {
	// The messages marshal themselves; calling MarshalJSON directly skips
	// encoding/json's re-validation of the output.
	var data []byte
	var err error
	if m, ok := msg.(json.Marshaler); ok {
		data, err = m.MarshalJSON()
	} else {
		data, err = json.Marshal(msg)
	}
	if err != nil {
		return 0, fmt.Errorf("encoding a JSON-RPC message: %w", err)
	}
	return s.writeFrame(ctx, data)
}

// writeFrame writes one framed message. It ignores ctx: a reply to a
// cancelled request must still be written.
func (s *stream) writeFrame(_ context.Context, data []byte) (int64, error) {
	frame := make([]byte, 0, len(data)+32)
	frame = append(frame, "Content-Length: "...)
	frame = strconv.AppendInt(frame, int64(len(data)), 10)
	frame = append(frame, "\r\n\r\n"...)
	frame = append(frame, data...)
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	n, err := s.rwc.Write(frame)
	if err != nil {
		return int64(n), fmt.Errorf("writing a JSON-RPC message: %w", err)
	}
	return int64(n), nil
}

// Close implements jsonrpc2.Stream.
func (s *stream) Close() error { return s.rwc.Close() }
