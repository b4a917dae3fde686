package buildsys

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/lambdalens/lambdalens/runtimes"
)

// printer renders progress. Run calls it from one goroutine at a time.
// Write errors are ignored: progress output is best effort.
type printer interface {
	diagnostics([]runtimes.Diagnostic)
	event(Event)
	summary(*Summary)
}

func newPrinter(w io.Writer, style Style) (printer, error) {
	if w == nil {
		return nopPrinter{}, nil
	}
	if style == StyleAuto {
		style = StylePlain
		if isTerminal(w) {
			style = StyleTTY
		}
	}
	switch style {
	case StylePlain:
		return &plainPrinter{w: w}, nil
	case StyleTTY:
		return &ttyPrinter{plainPrinter: plainPrinter{w: w}}, nil
	case StyleJSON:
		return &jsonPrinter{w: w}, nil
	}
	return nil, fmt.Errorf("unknown progress style %q: want plain, tty or json", style)
}

// isTerminal reports whether w is a character device (a terminal, in
// practice) and TERM does not ask for a dumb one.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0 && os.Getenv("TERM") != "dumb"
}

type nopPrinter struct{}

func (nopPrinter) diagnostics([]runtimes.Diagnostic) {}
func (nopPrinter) event(Event)                       {}
func (nopPrinter) summary(*Summary)                  {}

// plainPrinter writes one line per state change (queued is left out).
type plainPrinter struct{ w io.Writer }

func (p *plainPrinter) diagnostics(ds []runtimes.Diagnostic) {
	// Errors come back as the run's error; hints and infos are editor
	// material, not build output.
	for _, d := range ds {
		if d.Severity == runtimes.SeverityWarning {
			fmt.Fprintln(p.w, d.String())
		}
	}
}

func (p *plainPrinter) event(e Event) {
	if e.Stage == StageQueued {
		return
	}
	fmt.Fprintf(p.w, "%-8s %s\n", e.Stage, describe(e))
}

// describe is the part of a progress line after the stage.
func describe(e Event) string {
	switch e.Stage {
	case StageQueued, StageBuilding:
		return fmt.Sprintf("%s (%s, %s)", e.Function, e.File, e.Arch)
	case StageCached, StageDone:
		return fmt.Sprintf("%s  %s  %s", e.Function, formatSize(e.Size), formatDuration(e.Duration))
	case StageFailed:
		msg, _, _ := strings.Cut(errText(e.Err), "\n")
		return fmt.Sprintf("%s: %s", e.Function, msg)
	}
	return e.Function
}

func (p *plainPrinter) summary(s *Summary) { writeSummary(p.w, s) }

// writeSummary prints the table of functions and a closing line.
func writeSummary(w io.Writer, s *Summary) {
	if len(s.Functions) > 0 {
		fmt.Fprintln(w)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "FUNCTION\tRUNTIME\tARCH\tSIZE\tTIME\tCACHED")
		for _, f := range s.Functions {
			rt, size, cached := f.Runtime, formatSize(f.Size), "no"
			if f.Cached {
				cached = "yes"
			}
			if f.Err != nil {
				rt, size, cached = string(f.Language), "-", "failed"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", f.ID, rt, f.Arch, size, formatDuration(f.Duration), cached)
		}
		tw.Flush()
	}
	failed := 0
	for _, f := range s.Functions {
		if f.Err != nil {
			failed++
		}
	}
	if failed > 0 {
		fmt.Fprintf(w, "\n%d of %d function%s failed; nothing was written.\n", failed, len(s.Functions), plural(len(s.Functions)))
		return
	}
	if s.OutDir == "" {
		return
	}
	out := s.OutDir
	if rel, err := filepath.Rel(s.Root, out); err == nil && !strings.HasPrefix(rel, "..") {
		out = rel
	}
	fmt.Fprintf(w, "\nWrote %s: %d function%s in %s.\n", out, len(s.Functions), plural(len(s.Functions)), formatDuration(s.Duration))
}

// ttyPrinter keeps one line per function and redraws the block in place
// with ANSI cursor movement on every event.
type ttyPrinter struct {
	plainPrinter
	ids   []string
	last  map[string]Event
	width int // of the longest function ID
	drawn int // lines of the block currently on screen
}

func (p *ttyPrinter) event(e Event) {
	if p.last == nil {
		p.last = map[string]Event{}
	}
	if _, ok := p.last[e.Function]; !ok {
		p.ids = append(p.ids, e.Function)
		p.width = max(p.width, len(e.Function))
	}
	p.last[e.Function] = e
	var b bytes.Buffer
	if p.drawn > 0 {
		fmt.Fprintf(&b, "\x1b[%dA", p.drawn) // cursor up to the block's first line
	}
	for _, id := range p.ids {
		b.WriteString("\r\x1b[2K") // clear the line
		b.WriteString(p.line(p.last[id]))
		b.WriteByte('\n')
	}
	p.drawn = len(p.ids)
	p.w.Write(b.Bytes())
}

// line is one function's live line: mark, stage, ID, then details.
func (p *ttyPrinter) line(e Event) string {
	head := fmt.Sprintf("%s %-8s %-*s", mark(e.Stage), e.Stage, p.width, e.Function)
	switch e.Stage {
	case StageCached, StageDone:
		return fmt.Sprintf("%s  %9s  %s", head, formatSize(e.Size), formatDuration(e.Duration))
	case StageFailed:
		msg, _, _ := strings.Cut(errText(e.Err), "\n")
		return head + "  " + msg
	}
	return fmt.Sprintf("%s  %s, %s", head, e.File, e.Arch)
}

func mark(s Stage) string {
	switch s {
	case StageBuilding:
		return "›"
	case StageCached:
		return "≡"
	case StageDone:
		return "✓"
	case StageFailed:
		return "✗"
	}
	return "·"
}

// jsonPrinter writes one JSON object per line.
type jsonPrinter struct{ w io.Writer }

func (p *jsonPrinter) line(v any) {
	data, err := json.Marshal(v)
	if err != nil {
		return
	}
	p.w.Write(append(data, '\n'))
}

func (p *jsonPrinter) diagnostics(ds []runtimes.Diagnostic) {
	for _, d := range ds {
		p.line(struct {
			Type string `json:"type"`
			runtimes.Diagnostic
		}{"diagnostic", d})
	}
}

func (p *jsonPrinter) event(e Event)      { p.line(e) }
func (p *jsonPrinter) summary(s *Summary) { p.line(s) }

func formatSize(n int64) string {
	switch {
	case n < 1<<10:
		return fmt.Sprintf("%d B", n)
	case n < 1<<20:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
}

func formatDuration(d time.Duration) string {
	if d < time.Second {
		return fmt.Sprintf("%dms", d.Milliseconds())
	}
	return fmt.Sprintf("%.1fs", d.Seconds())
}
