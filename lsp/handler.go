package lsp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"

	"go.lsp.dev/jsonrpc2"
	"go.lsp.dev/protocol"
)

// handler builds the session's jsonrpc2 handler. It is protocol.Handlers
// rebuilt by hand to avoid the traps of go.lsp.dev/protocol v0.12.0:
//
//   - $/cancelRequest is handled here, decoding the id as a number or a
//     string (protocol.CancelHandler gets a float64 and never cancels);
//   - textDocument/didChange is decoded here, because the library's
//     TextDocumentContentChangeEvent has a non-pointer Range and so cannot
//     tell a whole-document change from an insertion at 0:0;
//   - requests before initialize and after shutdown are refused as the
//     specification asks;
//   - a panic in a method is recovered and answered with an internal
//     error, and every request is answered exactly once (the library's
//     ReplyHandler panics instead, which would kill the process).
//
// jsonrpc2.AsyncHandler keeps the library's ordering: each message is
// handled after the previous one was answered, so notifications apply in
// order; long work must therefore leave the handler (see goBackground).
func (s *server) handler() jsonrpc2.Handler {
	dispatch := protocol.ServerHandler(s, nil)
	inner := func(ctx context.Context, reply jsonrpc2.Replier, req jsonrpc2.Request) error {
		if err := s.admit(req); err != nil {
			return reply(ctx, nil, err)
		}
		switch req.Method() {
		case protocol.MethodTextDocumentDidChange:
			return reply(ctx, nil, s.handleDidChange(ctx, req.Params()))
		}
		return dispatch(ctx, reply, req)
	}
	async := jsonrpc2.AsyncHandler(s.guard(inner))
	cancellable, canceller := jsonrpc2.CancelHandler(async)
	return func(ctx context.Context, reply jsonrpc2.Replier, req jsonrpc2.Request) error {
		if req.Method() == protocol.MethodCancelRequest {
			if id, ok := cancelID(req.Params()); ok {
				canceller(id)
			}
			return nil // a notification: nothing to answer
		}
		// CancelHandler derives a cancellable context per message and
		// never cancels it: end it with the answer, or every message
		// leaves a child registered in the session's context.
		mctx, done := context.WithCancel(ctx)
		answer := cancelledReply(reply)
		return cancellable(mctx, func(ctx context.Context, result any, err error) error {
			defer done()
			return answer(ctx, result, err)
		}, req)
	}
}

// cancelledReply answers a request whose context was cancelled with
// RequestCancelled, and writes the answer even though ctx is done. It also
// keeps the explanation of an error that wraps a wire error: jsonrpc2
// v0.10 sends the wrapped error alone ("JSON-RPC invalid params", without
// "no workspace folder holds ...").
func cancelledReply(reply jsonrpc2.Replier) jsonrpc2.Replier {
	return func(ctx context.Context, result any, err error) error {
		if ctx.Err() != nil && err == nil {
			result, err = nil, protocol.ErrRequestCancelled
		}
		var wire *jsonrpc2.Error
		if err != nil && errors.As(err, &wire) && err != error(wire) {
			err = &jsonrpc2.Error{Code: wire.Code, Message: err.Error(), Data: wire.Data}
		}
		return reply(context.WithoutCancel(ctx), result, err)
	}
}

// cancelID decodes the id of a $/cancelRequest.
func cancelID(params json.RawMessage) (jsonrpc2.ID, bool) {
	var p struct {
		ID json.RawMessage `json:"id"`
	}
	if json.Unmarshal(params, &p) != nil || len(p.ID) == 0 {
		return jsonrpc2.ID{}, false
	}
	var str string
	if json.Unmarshal(p.ID, &str) == nil {
		return jsonrpc2.NewStringID(str), true
	}
	n, err := strconv.ParseInt(string(p.ID), 10, 32)
	if err != nil {
		return jsonrpc2.ID{}, false
	}
	return jsonrpc2.NewNumberID(int32(n)), true
}

// admit applies the lifecycle rules: before initialize only initialize
// and exit are accepted; after shutdown only exit.
func (s *server) admit(req jsonrpc2.Request) error {
	m := req.Method()
	if m == protocol.MethodExit {
		return nil
	}
	s.mu.Lock()
	state := s.state
	s.mu.Unlock()
	switch {
	case state == stateNew && m != protocol.MethodInitialize:
		return jsonrpc2.NewError(jsonrpc2.ServerNotInitialized, fmt.Sprintf("%s before initialize", m))
	case state != stateNew && m == protocol.MethodInitialize:
		return fmt.Errorf("initialize sent twice: %w", jsonrpc2.ErrInvalidRequest)
	case state == stateShutdown:
		return fmt.Errorf("%s after shutdown: %w", m, jsonrpc2.ErrInvalidRequest)
	}
	return nil
}

// guard answers every request exactly once and turns a panic into an
// internal error reply (and a log record).
func (s *server) guard(h jsonrpc2.Handler) jsonrpc2.Handler {
	return func(ctx context.Context, reply jsonrpc2.Replier, req jsonrpc2.Request) (err error) {
		var once sync.Once
		var replied atomic.Bool
		safe := func(ctx context.Context, result any, rerr error) error {
			var werr error
			once.Do(func() {
				replied.Store(true)
				werr = reply(ctx, result, rerr)
			})
			return werr
		}
		defer func() {
			if r := recover(); r != nil {
				s.recoverBugValue("handling "+req.Method(), r)
				err = safe(ctx, nil, fmt.Errorf("%s: internal error: %v: %w", req.Method(), r, jsonrpc2.ErrInternal))
			}
			if !replied.Load() {
				err = safe(ctx, nil, fmt.Errorf("%s: no answer: %w", req.Method(), jsonrpc2.ErrInternal))
			}
		}()
		return h(ctx, safe, req)
	}
}
