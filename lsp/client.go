package lsp

import (
	"context"
	"fmt"
	"sync"
	"time"

	"go.lsp.dev/protocol"
)

// maxOutbox bounds the notifications waiting to be sent. A dev server that
// prints faster than the editor reads loses lines (counted and reported)
// rather than growing the server's memory.
const maxOutbox = 10000

// clientCallTimeout bounds the server's own requests to the client
// (showDocument, registerCapability, ...): a client that never answers
// must not hold a goroutine until the session ends.
const clientCallTimeout = 30 * time.Second

// outbox sends notifications to the client in order, on its own
// goroutine, so that callers (dev server events in particular, which must
// not block) never wait for the client to read.
type outbox struct {
	s       *server
	mu      sync.Mutex
	queue   []func(ctx context.Context)
	dropped int
	wake    chan struct{}
}

func newOutbox(s *server) *outbox { return &outbox{s: s, wake: make(chan struct{}, 1)} }

// push queues fn; it never blocks.
func (o *outbox) push(fn func(ctx context.Context)) {
	o.mu.Lock()
	if len(o.queue) >= maxOutbox {
		o.dropped++
	} else {
		o.queue = append(o.queue, fn)
	}
	o.mu.Unlock()
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

// run sends queued notifications until ctx ends.
func (o *outbox) run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-o.wake:
		}
		for {
			o.mu.Lock()
			batch := o.queue
			dropped := o.dropped
			o.queue, o.dropped = nil, 0
			o.mu.Unlock()
			if len(batch) == 0 && dropped == 0 {
				break
			}
			if dropped > 0 {
				_ = o.s.client.LogMessage(ctx, &protocol.LogMessageParams{
					Type: protocol.MessageTypeWarning, Message: fmt.Sprintf("lambdalens: %d log messages were dropped (the editor reads too slowly)", dropped),
				})
			}
			for _, fn := range batch {
				if ctx.Err() != nil {
					return
				}
				fn(ctx)
			}
		}
	}
}

// logMessage queues a window/logMessage.
func (s *server) logMessage(typ protocol.MessageType, msg string) {
	s.out.push(func(ctx context.Context) {
		if err := s.client.LogMessage(ctx, &protocol.LogMessageParams{Type: typ, Message: msg}); err != nil {
			s.log.Debug("sending window/logMessage", "err", err)
		}
	})
}

// showMessage queues a window/showMessage.
func (s *server) showMessage(typ protocol.MessageType, msg string) {
	s.out.push(func(ctx context.Context) {
		if err := s.client.ShowMessage(ctx, &protocol.ShowMessageParams{Type: typ, Message: msg}); err != nil {
			s.log.Debug("sending window/showMessage", "err", err)
		}
	})
}

// register asks the client, in the background, to register a capability.
func (s *server) register(regs ...protocol.Registration) {
	s.goBackground("client/registerCapability", func(ctx context.Context) {
		ctx, cancel := context.WithTimeout(ctx, clientCallTimeout)
		defer cancel()
		if err := s.client.RegisterCapability(ctx, &protocol.RegistrationParams{Registrations: regs}); err != nil {
			s.log.Info("the client refused a registration", "method", regs[0].Method, "err", err)
		}
	})
}

// refreshLenses asks the client to ask for code lenses again, when it
// supports workspace/codeLens/refresh (sent raw: the library declares it
// on the wrong side). Without it lenses update on the next edit or scroll.
func (s *server) refreshLenses() {
	if !s.capabilities().codeLensRefresh {
		return
	}
	select {
	case <-s.ready:
	default:
		return // the client asks for lenses after initialized anyway
	}
	s.goBackground("workspace/codeLens/refresh", func(ctx context.Context) {
		ctx, cancel := context.WithTimeout(ctx, clientCallTimeout)
		defer cancel()
		if err := protocol.Call(ctx, s.conn, protocol.MethodCodeLensRefresh, nil, nil); err != nil {
			s.log.Debug("workspace/codeLens/refresh", "err", err)
		}
	})
}

// openURL opens an http URL in the user's browser through
// window/showDocument when the client supports it, and otherwise (or when
// the client fails to) shows it in a message the user can click.
func (s *server) openURL(url string) {
	if !s.capabilities().showDocument {
		s.showMessage(protocol.MessageTypeInfo, "lambdalens dev: "+url)
		return
	}
	s.goBackground("window/showDocument", func(ctx context.Context) {
		ctx, cancel := context.WithTimeout(ctx, clientCallTimeout)
		defer cancel()
		var res protocol.ShowDocumentResult
		err := protocol.Call(ctx, s.conn, protocol.MethodShowDocument, &protocol.ShowDocumentParams{URI: protocol.URI(url), External: true}, &res)
		if err != nil || !res.Success {
			s.log.Debug("window/showDocument", "url", url, "err", err, "success", res.Success)
			s.showMessage(protocol.MessageTypeInfo, "lambdalens dev: "+url)
		}
	})
}
