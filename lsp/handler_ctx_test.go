package lsp

import (
	"context"
	"encoding/json"
	"sync/atomic"
	"testing"
	"time"

	"go.lsp.dev/jsonrpc2"
)

// liveChildren is a parent context that counts the children derived from
// it that are still registered (context.WithCancel uses AfterFunc on a
// parent that has one, and stops it when the child ends).
type liveChildren struct {
	context.Context
	live atomic.Int64
}

// Value hides the embedded context's values, so that context.WithCancel
// cannot find the cancelCtx beneath and registers through AfterFunc.
func (c *liveChildren) Value(any) any { return nil }

func (c *liveChildren) AfterFunc(f func()) func() bool {
	c.live.Add(1)
	stop := context.AfterFunc(c.Context, f)
	return func() bool {
		c.live.Add(-1)
		return stop()
	}
}

// Every message's context ends with its answer: a long session must not
// keep one per message it ever handled.
func TestMessageContextsEnd(t *testing.T) {
	s := newServer(Config{})
	defer s.cancel()
	parent := &liveChildren{Context: t.Context()}
	h := s.handler()
	answered := make(chan struct{}, 100)
	reply := func(context.Context, any, error) error {
		answered <- struct{}{}
		return nil
	}
	const n = 50
	for i := range n {
		// Before initialize every request is refused: still an answer.
		call, err := jsonrpc2.NewCall(jsonrpc2.NewNumberID(int32(i)), "textDocument/hover", json.RawMessage(`{}`))
		if err != nil {
			t.Fatal(err)
		}
		if err := h(parent, reply, call); err != nil {
			t.Fatal(err)
		}
	}
	for range n {
		select {
		case <-answered:
		case <-time.After(10 * time.Second):
			t.Fatal("a message was not answered")
		}
	}
	// Each context ends just after its answer returns: wait for that.
	deadline := time.Now().Add(5 * time.Second)
	for parent.live.Load() != 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if live := parent.live.Load(); live != 0 {
		t.Errorf("%d of %d message contexts still registered after their answers", live, n)
	}
}
