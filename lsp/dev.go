package lsp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"

	"go.lsp.dev/protocol"

	"github.com/lambdalens/lambdalens/devserver"
	"github.com/lambdalens/lambdalens/lsp/command"
	"github.com/lambdalens/lambdalens/project"
	"github.com/lambdalens/lambdalens/runtimes"
)

// devState is a folder's dev server. Guarded by folder.mu.
type devState struct {
	srv *devserver.Server
	url string
	// starting is closed when the start in progress ends; nil when none.
	starting chan struct{}
}

// devStatus is what lenses and hovers show.
type devStatus int

const (
	devStopped devStatus = iota
	devStarting
	devRunning
)

// commandState is st as lambdalens.inspect reports it.
func (st devStatus) commandState() command.DevState {
	switch st {
	case devStarting:
		return command.DevStarting
	case devRunning:
		return command.DevRunning
	}
	return command.DevStopped
}

// devInfo returns the dev server's status and URL.
func (f *folder) devInfo() (devStatus, string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case f.dev.srv != nil:
		return devRunning, f.dev.url
	case f.dev.starting != nil:
		return devStarting, ""
	}
	return devStopped, ""
}

// errNoRuntimes explains a server started without runtimes.
var errNoRuntimes = errors.New("no language runtime is configured in this language server, so it cannot run or build functions")

// startDev starts the folder's dev server, or returns the running one's
// URL (reused true). Concurrent calls share one start.
func (f *folder) startDev(ctx context.Context) (url string, reused bool, err error) {
	if len(f.s.cfg.Runtimes) == 0 {
		return "", false, errNoRuntimes
	}
	for range maxLoadAttempts {
		f.mu.Lock()
		if f.dev.srv != nil {
			u := f.dev.url
			f.mu.Unlock()
			return u, true, nil
		}
		if wait := f.dev.starting; wait != nil {
			f.mu.Unlock()
			select {
			case <-wait:
				continue
			case <-ctx.Done():
				return "", false, ctx.Err()
			}
		}
		starting := make(chan struct{})
		f.dev.starting = starting
		f.mu.Unlock()
		f.s.refreshLenses()
		return f.launchDev(ctx, starting)
	}
	return "", false, fmt.Errorf("starting the dev server of %s: it kept stopping while starting", f.root)
}

func (f *folder) launchDev(ctx context.Context, starting chan struct{}) (string, bool, error) {
	listen := f.s.currentSettings().DevListen
	srv, err := devserver.New(devserver.Config{
		Dir:      f.root,
		Listen:   listen,
		Runtimes: f.s.cfg.Runtimes,
		Logger:   baseLogger(f.s.cfg),
		Events:   f.devEvent,
	})
	if err == nil {
		if hook := f.s.cfg.beforeDevStart; hook != nil {
			hook(ctx)
		}
		err = srv.Start(ctx)
	}
	f.mu.Lock()
	f.dev.starting = nil
	close(starting)
	keep := err == nil && !f.isClosedLocked()
	if keep {
		f.dev.srv, f.dev.url = srv, srv.URL()
	}
	f.mu.Unlock()
	defer f.s.refreshLenses()
	if err != nil {
		if srv != nil {
			srv.Close(context.WithoutCancel(ctx))
		}
		return "", false, fmt.Errorf("starting the dev server of %s: %w", f.root, err)
	}
	if !keep {
		srv.Close(context.WithoutCancel(ctx))
		return "", false, fmt.Errorf("starting the dev server of %s: the session is ending", f.root)
	}
	if want, got := listenPort(listen), listenPort(srv.URL()); want > 0 && got > 0 && want != got {
		f.s.showMessage(protocol.MessageTypeInfo, fmt.Sprintf("lambdalens dev: port %d is in use, so the dev server listens on port %d: %s", want, got, srv.URL()))
	}
	return srv.URL(), false, nil
}

// isClosedLocked reports whether the folder is closing. f.mu is held;
// s.mu is taken inside (the order is f.mu, then s.mu, only here).
func (f *folder) isClosedLocked() bool { return f.isClosed() }

// stopDev stops the folder's dev server, if any, and clears its
// diagnostics. It reports whether one was running.
func (f *folder) stopDev(ctx context.Context, publish bool) bool {
	f.mu.Lock()
	srv := f.dev.srv
	f.dev.srv, f.dev.url = nil, ""
	f.mu.Unlock()
	if srv == nil {
		return false
	}
	if err := srv.Close(ctx); err != nil {
		f.log.Warn("stopping the dev server", "err", err)
	}
	f.diags.clearDev()
	if publish {
		f.publish(ctx, nil)
		f.s.refreshLenses()
	}
	return true
}

// devEvent receives the dev server's events. It must not block, so it
// only queues work on the outbox, which runs it in order.
func (f *folder) devEvent(ev devserver.Event) {
	switch ev.Type {
	case devserver.EventRequest:
		fn := ""
		if ev.Function != "" {
			fn = " → " + ev.Function
		}
		f.s.logMessage(protocol.MessageTypeLog, fmt.Sprintf("%s %s%s %d %s", ev.Method, ev.Path, fn, ev.Status, ev.Duration))
	case devserver.EventOutput:
		f.s.logMessage(protocol.MessageTypeLog, fmt.Sprintf("[%s] %s", ev.Function, ev.Message))
	case devserver.EventReady:
		f.s.logMessage(protocol.MessageTypeInfo, "lambdalens dev: ready at "+ev.URL)
	case devserver.EventBuildStarted:
		f.s.logMessage(protocol.MessageTypeLog, fmt.Sprintf("lambdalens dev: building %s (%s)", ev.Function, ev.Reason))
	case devserver.EventBuildFinished:
		f.s.logMessage(protocol.MessageTypeLog, fmt.Sprintf("lambdalens dev: %s ready in %s", ev.Function, ev.Duration))
		f.devDiagnostics(ev.Function, nil)
	case devserver.EventBuildFailed:
		msg := fmt.Sprintf("lambdalens dev: %s failed: %s", ev.Function, ev.Message)
		if out := strings.TrimSpace(ev.Output); out != "" {
			msg += "\n" + out
		}
		f.s.logMessage(protocol.MessageTypeError, msg)
		diags := ev.Diagnostics
		if len(diags) == 0 && ev.File != "" {
			first, _, _ := strings.Cut(ev.Message, "\n")
			diags = []runtimes.Diagnostic{{File: ev.File, Severity: runtimes.SeverityError, Code: "dev-start-failed", Message: first}}
		}
		f.devDiagnostics(ev.Function, diags)
	case devserver.EventProcessExited:
		if ev.Crashed {
			f.s.logMessage(protocol.MessageTypeWarning, fmt.Sprintf("lambdalens dev: %s (pid %d) crashed: %s; it restarts on the next request", ev.Function, ev.PID, ev.ExitStatus))
		}
	case devserver.EventWarning:
		f.s.logMessage(protocol.MessageTypeWarning, "lambdalens dev: "+ev.Message)
	}
}

// devDiagnostics replaces a function's dev diagnostics and publishes, on
// the outbox (so in order with the log lines around it).
func (f *folder) devDiagnostics(fn string, diags []runtimes.Diagnostic) {
	f.s.out.push(func(ctx context.Context) {
		f.diags.setDev(fn, diags)
		f.publish(ctx, nil)
	})
}

// functionURL is the dev server URL of a function ("" when it is not
// running): its route pattern for api/ functions, the root for servers and
// apps.
func functionURL(base string, fn *project.Function) string {
	if base == "" {
		return ""
	}
	if fn == nil || fn.Kind() != runtimes.KindFunction || fn.Route.Pattern == "" {
		return base + "/"
	}
	return base + fn.Route.Pattern
}

// escapeURLPath percent-encodes in each segment of u's path what a URL
// path may not hold as is, the brackets of dynamic segments first
// ("/api/users/[id]" becomes "/api/users/%5Bid%5D"): clients hand the URL
// to a browser or a URL parser, which may refuse or mangle them. u is
// returned unchanged when it does not parse.
func escapeURLPath(u string) string {
	pu, err := url.Parse(u)
	if err != nil {
		return u
	}
	segs := strings.Split(pu.Path, "/")
	for i, seg := range segs {
		segs[i] = url.PathEscape(seg)
	}
	pu.RawPath = strings.Join(segs, "/")
	return pu.String()
}

// listenPort returns the port of "host:port", ":port", "port" or a URL;
// 0 when there is none.
func listenPort(s string) int {
	if u, err := url.Parse(s); err == nil && u.Host != "" {
		s = u.Host
	}
	if n, err := strconv.Atoi(s); err == nil {
		return n
	}
	_, p, err := net.SplitHostPort(s)
	if err != nil {
		return 0
	}
	n, _ := strconv.Atoi(p)
	return n
}
