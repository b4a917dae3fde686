package lsp

import (
	"context"
	"fmt"
	"sync"

	"go.lsp.dev/protocol"
)

// progressTracker reports long work ($/progress) and routes
// window/workDoneProgress/cancel to the work's cancel function. Without
// client support for work-done progress, begin and end go to the log
// instead and reports are dropped.
type progressTracker struct {
	s       *server
	mu      sync.Mutex
	seq     int
	cancels map[string]func() // token → cancel
}

func newProgressTracker(s *server) *progressTracker {
	return &progressTracker{s: s, cancels: map[string]func(){}}
}

// workDone is one piece of reported work.
type workDone struct {
	t     *progressTracker
	token *protocol.ProgressToken // nil when reporting to the log
	title string
	last  string // last report, to skip repeats
}

// start begins reporting work under a token the server creates (work
// outlives the request that started it, and a client's workDoneToken only
// lives until the answer). cancel, when not nil, makes the work
// cancellable from the editor. It waits for the client to accept the
// token, so call it from a background goroutine.
func (t *progressTracker) start(ctx context.Context, title, message string, cancel func()) *workDone {
	w := &workDone{t: t, title: title}
	if !t.s.capabilities().workDoneProgress {
		t.s.logMessage(protocol.MessageTypeInfo, fmt.Sprintf("lambdalens: %s: %s", title, message))
		return w
	}
	t.mu.Lock()
	t.seq++
	token := protocol.NewProgressToken(fmt.Sprintf("lambdalens-%d", t.seq))
	t.mu.Unlock()
	cctx, ccancel := context.WithTimeout(ctx, clientCallTimeout)
	err := t.s.client.WorkDoneProgressCreate(cctx, &protocol.WorkDoneProgressCreateParams{Token: *token})
	ccancel()
	if err != nil {
		t.s.log.Debug("window/workDoneProgress/create", "err", err)
		t.s.logMessage(protocol.MessageTypeInfo, fmt.Sprintf("lambdalens: %s: %s", title, message))
		return w
	}
	w.token = token
	if cancel != nil {
		t.mu.Lock()
		t.cancels[token.String()] = cancel
		t.mu.Unlock()
	}
	w.send(ctx, &protocol.WorkDoneProgressBegin{
		Kind: protocol.WorkDoneProgressKindBegin, Title: title, Message: message, Cancellable: cancel != nil,
	})
	return w
}

// report sends a progress message and percentage (0 to 100; 0 cannot be
// sent by the library and is left out).
func (w *workDone) report(ctx context.Context, message string, percentage uint32) {
	if w.token == nil {
		return
	}
	key := fmt.Sprintf("%d %s", percentage, message)
	if key == w.last {
		return
	}
	w.last = key
	w.send(ctx, &protocol.WorkDoneProgressReport{
		Kind: protocol.WorkDoneProgressKindReport, Message: message, Percentage: min(percentage, 100),
	})
}

// end finishes the work with a final message.
func (w *workDone) end(ctx context.Context, message string) {
	if w.token == nil {
		w.t.s.logMessage(protocol.MessageTypeInfo, fmt.Sprintf("lambdalens: %s: %s", w.title, message))
		return
	}
	w.t.mu.Lock()
	delete(w.t.cancels, w.token.String())
	w.t.mu.Unlock()
	w.send(ctx, &protocol.WorkDoneProgressEnd{Kind: protocol.WorkDoneProgressKindEnd, Message: message})
}

func (w *workDone) send(ctx context.Context, value any) {
	// A pointer: ProgressToken marshals only through one.
	params := &protocol.ProgressParams{Token: *w.token, Value: value}
	if err := w.t.s.client.Progress(context.WithoutCancel(ctx), params); err != nil {
		w.t.s.log.Debug("$/progress", "err", err)
	}
}

// WorkDoneProgressCancel cancels the work behind a progress token.
func (s *server) WorkDoneProgressCancel(_ context.Context, params *protocol.WorkDoneProgressCancelParams) error {
	s.prog.mu.Lock()
	cancel := s.prog.cancels[params.Token.String()]
	s.prog.mu.Unlock()
	if cancel != nil {
		cancel()
	}
	return nil
}
