package lambdaloop

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"runtime"
	"strings"
	"sync"
)

// Start runs h as a Lambda function and never returns.
//
// It first honours AWS_LAMBDA_EXEC_WRAPPER (see the package documentation),
// then serves invocations from the Runtime API at $AWS_LAMBDA_RUNTIME_API
// one at a time until the Runtime API goes away or the handler panics; then
// the process exits with status 1.
func Start(h http.Handler) {
	p := llNewProcess()
	p.execWrapper()
	p.serve(h, nil)
}

// llProcess is the state of the runtime process: its logger, its Runtime
// API client and what must be cleaned up before it exits.
type llProcess struct {
	log *slog.Logger
	api *llRuntimeAPI // nil when AWS_LAMBDA_RUNTIME_API is unset

	cleanupMu sync.Mutex
	cleanups  []func()
}

func llNewProcess() *llProcess {
	p := &llProcess{
		log: slog.New(slog.NewTextHandler(os.Stderr, nil)).With("component", "lambdaloop"),
	}
	if addr := os.Getenv(llEnvRuntimeAPI); addr != "" {
		p.api = llNewRuntimeAPI(addr)
	}
	return p
}

// onExit registers f to run before the process exits.
func (p *llProcess) onExit(f func()) {
	p.cleanupMu.Lock()
	defer p.cleanupMu.Unlock()
	p.cleanups = append(p.cleanups, f)
}

// exit runs the cleanups, newest first, and ends the process.
func (p *llProcess) exit(code int) {
	p.cleanupMu.Lock()
	fs := p.cleanups
	p.cleanups = nil
	p.cleanupMu.Unlock()
	for i := len(fs) - 1; i >= 0; i-- {
		fs[i]()
	}
	os.Exit(code)
}

// initFailed reports an initialisation error to the Runtime API (when there
// is one), logs it and exits.
func (p *llProcess) initFailed(fe *llFunctionError) {
	p.log.Error("initialisation failed", "errorType", fe.Type, "error", fe.Message)
	if p.api != nil {
		if err := p.api.postInitError(context.Background(), fe); err != nil {
			p.log.Error("reporting the initialisation error", "error", err)
		}
	}
	p.exit(1)
}

// serve runs the invocation loop with h and exits when it ends. busy, when
// not nil, is held while an invocation is handled and its result posted.
func (p *llProcess) serve(h http.Handler, busy *sync.Mutex) {
	if p.api == nil {
		p.initFailed(&llFunctionError{
			Type:    llErrTypeNoRuntimeAPI,
			Message: llEnvRuntimeAPI + " is not set: this program is a Lambda bootstrap and runs under AWS Lambda or the Runtime Interface Emulator",
		})
		return
	}
	if busy == nil {
		busy = new(sync.Mutex)
	}
	l := &llLoop{api: p.api, handler: h, log: p.log, busy: busy}
	err := l.run(context.Background())
	p.log.Error("the runtime loop stopped; exiting", "error", err)
	p.exit(1)
}

// llErrShouldExit ends the loop after the failure of an invocation has been
// reported, when the process must not serve further invocations.
var llErrShouldExit = errors.New("the process must exit after this invocation")

// llLoop serves invocations one at a time.
type llLoop struct {
	api     *llRuntimeAPI
	handler http.Handler
	log     *slog.Logger
	busy    *sync.Mutex
}

// run serves invocations until fetching the next one fails or an
// invocation's outcome requires the process to exit. It always returns a
// non-nil error.
func (l *llLoop) run(ctx context.Context) error {
	for {
		inv, event, err := l.api.next(ctx)
		if err != nil {
			return fmt.Errorf("waiting for the next invocation: %w", err)
		}
		if err := l.invoke(ctx, inv, event); err != nil {
			return err
		}
	}
}

// invoke handles one event and posts its outcome.
func (l *llLoop) invoke(ctx context.Context, inv llInvocation, event []byte) error {
	l.busy.Lock()
	defer l.busy.Unlock()

	ictx := ctx
	if !inv.Deadline.IsZero() {
		var cancel context.CancelFunc
		ictx, cancel = context.WithDeadline(ctx, inv.Deadline)
		defer cancel()
	}
	payload, fe, exit := llHandleEvent(ictx, l.handler, inv, event)
	if fe == nil && len(payload) > llMaxResponseBytes {
		fe = &llFunctionError{
			Type:    llErrTypeResponseTooLarge,
			Message: fmt.Sprintf("the response is %d bytes; Lambda accepts at most %d", len(payload), llMaxResponseBytes),
		}
	}
	// Post with the loop's context: the invocation's deadline must not stop
	// the runtime from reporting what happened.
	if fe != nil {
		attrs := []any{"requestId", inv.RequestID, "errorType", fe.Type, "error", fe.Message}
		if len(fe.StackTrace) > 0 {
			// The Runtime API's copy goes to the caller only; the log is
			// where the function's owner looks (aws-lambda-go logs the
			// whole error document). One line, frames separated by "; ".
			attrs = append(attrs, "stackTrace", strings.Join(fe.StackTrace, "; "))
		}
		l.log.Error("invocation failed", attrs...)
		if err := l.api.postError(ctx, inv.RequestID, fe); err != nil {
			return fmt.Errorf("reporting the failure of invocation %s: %w", inv.RequestID, err)
		}
	} else if err := l.api.postResponse(ctx, inv.RequestID, payload); err != nil {
		return fmt.Errorf("posting the response of invocation %s: %w", inv.RequestID, err)
	}
	if exit {
		return fmt.Errorf("invocation %s: %w", inv.RequestID, llErrShouldExit)
	}
	return nil
}

// llServeHTTP runs h for one request, turning a panic into a function error.
// exit tells whether the process must stop after reporting it.
func llServeHTTP(h http.Handler, w http.ResponseWriter, r *http.Request) (fe *llFunctionError, exit bool) {
	defer func() {
		v := recover()
		if v == nil {
			return
		}
		if v == http.ErrAbortHandler {
			fe, exit = &llFunctionError{Type: llErrTypeHandlerAborted, Message: "the handler aborted the response"}, false
			return
		}
		fe, exit = &llFunctionError{
			Type:       llErrTypePanic,
			Message:    fmt.Sprint(v),
			StackTrace: llPanicStack(),
		}, true
		if err, ok := v.(error); ok {
			fe.Message = err.Error()
		}
	}()
	h.ServeHTTP(w, r)
	return nil, false
}

// llPanicStack formats the stack of the panicking goroutine from the frame
// that panicked outwards, one "function (file:line)" per element. It must be
// called from the deferred function that recovered.
func llPanicStack() []string {
	pcs := make([]uintptr, 64)
	n := runtime.Callers(2, pcs)
	frames := runtime.CallersFrames(pcs[:n])
	var out []string
	seenPanic := false
	for {
		f, more := frames.Next()
		switch {
		case !seenPanic:
			seenPanic = f.Function == "runtime.gopanic"
		case strings.HasSuffix(f.Function, ".llServeHTTP"):
			return out
		case len(out) == 0 && strings.HasPrefix(f.Function, "runtime."):
			// runtime.panicmem, runtime.sigpanic and the like.
		default:
			out = append(out, fmt.Sprintf("%s (%s:%d)", f.Function, f.File, f.Line))
		}
		if !more {
			return out
		}
	}
}
