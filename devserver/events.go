package devserver

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lambdalens/lambdalens/runtimes"
)

// EventType names an Event.
type EventType string

// The events the dev server reports, in JSON as the "type" field.
const (
	// EventReady: the server listens; URL is set.
	EventReady EventType = "ready"
	// EventProjectLoaded: the project model was loaded or reloaded;
	// Message summarizes it, Diagnostics lists its problems.
	EventProjectLoaded EventType = "project-loaded"
	// EventRequest: a request was answered; Method, Path, Function (empty
	// for static files and errors), Status, Duration and RequestID are set.
	EventRequest EventType = "request"
	// EventBuildStarted: a function is being built and started; Reason says
	// why ("first request", "prewarm", "changed api/hello.go", ...).
	EventBuildStarted EventType = "build-started"
	// EventBuildFinished: the build succeeded and the process reported its
	// port; Duration is the time since EventBuildStarted.
	EventBuildFinished EventType = "build-finished"
	// EventBuildFailed: the build or the start failed. Output holds the
	// tool output and Diagnostics the file:line problems parsed from it.
	EventBuildFailed EventType = "build-failed"
	// EventProcessStarted: a function process is serving; PID and Addr
	// are set.
	EventProcessStarted EventType = "process-started"
	// EventProcessExited: a function process ended. Crashed is true when it
	// was not stopped by the dev server; ExitStatus describes how it ended.
	EventProcessExited EventType = "process-exited"
	// EventOutput: one line a function process wrote; Stream is "stdout"
	// or "stderr" and Message the line.
	EventOutput EventType = "output"
	// EventWarning: something the user should know (an invalid environment
	// variable name, a reload that failed); Message says what.
	EventWarning EventType = "warning"
)

// Event is one thing that happened in the dev server. The same values go
// to Config.Events (in process, for the language server) and, as one JSON
// object per line, to Config.Out when Config.JSON is set. Fields that do not
// apply to a type are left zero and omitted from the JSON.
type Event struct {
	Type EventType `json:"type"`
	Time time.Time `json:"time"`
	// Function is the function ID ("api/users/[id]"); File is its
	// entrypoint, slash-separated, relative to the project root.
	Function string `json:"function,omitempty"`
	File     string `json:"file,omitempty"`
	// URL is the server's base URL (EventReady).
	URL string `json:"url,omitempty"`
	// Method, Path, Status and RequestID describe a request.
	Method    string `json:"method,omitempty"`
	Path      string `json:"path,omitempty"`
	Status    int    `json:"status,omitempty"`
	RequestID string `json:"requestId,omitempty"`
	// Duration of a request or a build; nanoseconds in JSON.
	Duration time.Duration `json:"duration,omitempty"`
	// Reason a build started.
	Reason string `json:"reason,omitempty"`
	// PID and Addr of a function process.
	PID  int    `json:"pid,omitempty"`
	Addr string `json:"addr,omitempty"`
	// Crashed and ExitStatus describe how a process ended.
	Crashed    bool   `json:"crashed,omitempty"`
	ExitStatus string `json:"exitStatus,omitempty"`
	// Stream is "stdout" or "stderr" for EventOutput.
	Stream string `json:"stream,omitempty"`
	// Message is the text of an output line, a warning or an error.
	Message string `json:"message,omitempty"`
	// Output is the complete tool output of a failed build.
	Output string `json:"output,omitempty"`
	// Diagnostics of a failed build or a loaded project.
	Diagnostics []runtimes.Diagnostic `json:"diagnostics,omitempty"`
}

// printer writes events to Config.Out, as JSON lines or human-readable
// lines, and passes them to Config.Events.
type printer struct {
	hook  func(Event)
	mu    sync.Mutex   // serializes formatting into buf and queueing to out
	out   *batchWriter // around Config.Out; nil when there is none
	json  bool
	color bool
	buf   []byte // guarded by mu
	// closed is set by close (under mu): later events, such as the log
	// line of a WebSocket that outlived the server, are dropped, so that
	// nothing writes to Config.Out once Close has returned.
	closed atomic.Bool
}

// ANSI colours, used only when Config.Color is set.
const (
	ansiReset  = "\x1b[0m"
	ansiDim    = "\x1b[2m"
	ansiRed    = "\x1b[31m"
	ansiGreen  = "\x1b[32m"
	ansiYellow = "\x1b[33m"
	ansiCyan   = "\x1b[36m"
	ansiBold   = "\x1b[1m"
)

func (p *printer) emit(ev Event) {
	if p.closed.Load() {
		return
	}
	if ev.Time.IsZero() {
		ev.Time = time.Now()
	}
	if p.out != nil {
		p.print(&ev)
	}
	// After printing: whoever sees an event on Config.Events and then
	// flushes finds it on Config.Out.
	if p.hook != nil {
		p.hook(ev)
	}
}

func (p *printer) print(ev *Event) {
	p.mu.Lock()
	if p.closed.Load() {
		p.mu.Unlock()
		return
	}
	b := p.buf[:0]
	if p.json && len(ev.Diagnostics) == 0 {
		b = append(appendEventJSON(b, ev), '\n')
	} else if p.json {
		data, err := json.Marshal(ev)
		if err != nil {
			// Event has only marshalable fields; report rather than drop.
			data = []byte(strconv.Quote(fmt.Sprintf("encoding event %s: %v", ev.Type, err)))
		}
		b = append(append(b, data...), '\n')
	} else {
		b = p.human(b, ev)
	}
	if len(b) > 0 {
		// Queued in order under mu (batchWriter copies it).
		_, _ = p.out.Write(b)
	}
	if cap(b) <= 64<<10 {
		p.buf = b
	}
	p.mu.Unlock()
}

func newPrinter(hook func(Event), out io.Writer, json, color bool) *printer {
	p := &printer{hook: hook, json: json, color: color && !json}
	if out != nil && out != io.Discard {
		p.out = newBatchWriter(out)
	}
	return p
}

// close drops the events emitted from now on and waits, like flush, for
// those before to be written.
func (p *printer) close(ctx context.Context) error {
	p.mu.Lock()
	p.closed.Store(true)
	p.mu.Unlock()
	return p.flush(ctx)
}

// flush waits until every event emitted so far is written to Config.Out,
// or until ctx ends.
func (p *printer) flush(ctx context.Context) error {
	if p.out == nil {
		return nil
	}
	return p.out.Flush(ctx)
}

func (p *printer) paint(b []byte, color, s string) []byte {
	if !p.color {
		return append(b, s...)
	}
	b = append(b, color...)
	b = append(b, s...)
	return append(b, ansiReset...)
}

// human appends the one-line (or, for build failures, multi-line) form of
// ev to b. Events that only matter to tools (build started, a clean process
// exit) print nothing.
func (p *printer) human(b []byte, ev *Event) []byte {
	switch ev.Type {
	case EventReady:
		b = p.paint(b, ansiGreen+ansiBold, "Ready!")
		b = append(b, " Available at "...)
		b = p.paint(b, ansiCyan, ev.URL)
		b = append(b, '\n')
	case EventRequest:
		b = append(b, ev.Method...)
		b = append(b, ' ')
		b = append(b, ev.Path...)
		if ev.Function != "" {
			b = append(b, " → "...)
			b = append(b, ev.Function...)
		}
		b = append(b, ' ')
		code := strconv.Itoa(ev.Status)
		switch {
		case ev.Status >= 500:
			b = p.paint(b, ansiRed, code)
		case ev.Status >= 400:
			b = p.paint(b, ansiYellow, code)
		default:
			b = p.paint(b, ansiGreen, code)
		}
		b = append(b, ' ')
		b = p.paint(b, ansiDim, formatDuration(ev.Duration))
		b = append(b, '\n')
	case EventBuildFinished:
		b = p.paint(b, ansiDim, fmt.Sprintf("%s ready in %s (pid %d)", ev.Function, formatDuration(ev.Duration), ev.PID))
		b = append(b, '\n')
	case EventBuildFailed:
		b = p.paint(b, ansiRed, fmt.Sprintf("%s: %s", ev.Function, firstLine(ev.Message)))
		b = append(b, '\n')
		if out := strings.TrimRight(ev.Output, "\n"); out != "" {
			b = append(b, out...)
			b = append(b, '\n')
		}
	case EventProcessExited:
		if !ev.Crashed {
			return b
		}
		b = p.paint(b, ansiRed, fmt.Sprintf("%s (pid %d) crashed: %s; it restarts on the next request", ev.Function, ev.PID, ev.ExitStatus))
		b = append(b, '\n')
	case EventOutput:
		b = p.paint(b, ansiCyan, "["+ev.Function+"] ")
		b = append(b, ev.Message...)
		b = append(b, '\n')
	case EventWarning:
		b = p.paint(b, ansiYellow, "warning: ")
		b = append(b, ev.Message...)
		b = append(b, '\n')
	case EventProjectLoaded:
		if ev.Message != "" {
			b = p.paint(b, ansiDim, ev.Message)
			b = append(b, '\n')
		}
		for _, d := range ev.Diagnostics {
			if d.Severity > runtimes.SeverityWarning {
				continue
			}
			color := ansiYellow
			if d.Severity == runtimes.SeverityError {
				color = ansiRed
			}
			b = p.paint(b, color, d.String())
			b = append(b, '\n')
		}
	}
	return b
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// formatDuration prints durations the way request logs usually do: ms
// with one decimal under 10 s.
func formatDuration(d time.Duration) string {
	if d >= 10*time.Second {
		return d.Round(100 * time.Millisecond).String()
	}
	return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 1, 64) + "ms"
}

// lineWriter turns a child's output stream into one EventOutput per line.
type lineWriter struct {
	p        *printer
	function string
	file     string
	stream   string
	mu       sync.Mutex
	partial  []byte // guarded by mu
}

// maxLine bounds a line kept waiting for its newline.
const maxLine = 16 << 10

func (w *lineWriter) Write(data []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := len(data)
	for len(data) > 0 {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			w.partial = append(w.partial, data...)
			if len(w.partial) >= maxLine {
				w.flushLocked()
			}
			break
		}
		w.partial = append(w.partial, data[:i]...)
		w.flushLocked()
		data = data[i+1:]
	}
	return n, nil
}

// flush emits a last line that has no newline.
func (w *lineWriter) flush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.partial) > 0 {
		w.flushLocked()
	}
}

func (w *lineWriter) flushLocked() {
	line := strings.TrimSuffix(string(w.partial), "\r")
	w.partial = w.partial[:0]
	w.p.emit(Event{Type: EventOutput, Function: w.function, File: w.file, Stream: w.stream, Message: line})
}
