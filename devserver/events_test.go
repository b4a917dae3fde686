package devserver

import (
	"errors"
	"reflect"
	"testing"

	"github.com/lambdalens/lambdalens/runtimes/proc"
)

func TestLineWriter(t *testing.T) {
	var got []Event
	p := &printer{hook: func(ev Event) { got = append(got, ev) }, out: newBatchWriter(discard{})}
	w := &lineWriter{p: p, function: "api/a", file: "api/a.go", stream: "stderr"}
	for _, chunk := range []string{"one\ntw", "o\r\n", "", "\nthree"} {
		if n, err := w.Write([]byte(chunk)); n != len(chunk) || err != nil {
			t.Fatalf("Write(%q) = %d, %v", chunk, n, err)
		}
	}
	w.flush()
	w.flush() // nothing left: no event
	var lines []string
	for _, ev := range got {
		if ev.Type != EventOutput || ev.Function != "api/a" || ev.File != "api/a.go" || ev.Stream != "stderr" {
			t.Errorf("event = %+v", ev)
		}
		lines = append(lines, ev.Message)
	}
	if want := []string{"one", "two", "", "three"}; !reflect.DeepEqual(lines, want) {
		t.Errorf("lines = %q, want %q", lines, want)
	}
	// A line longer than maxLine is cut, not kept growing.
	got = nil
	long := make([]byte, maxLine+10)
	for i := range long {
		long[i] = 'x'
	}
	w.Write(long)
	if len(got) != 1 || len(got[0].Message) != maxLine+10 {
		t.Errorf("a %d-byte line without newline gave %d events", len(long), len(got))
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

func TestExitStatus(t *testing.T) {
	status := errors.New("exit status 3")
	for _, tc := range []struct {
		err  error
		want string
	}{
		// The stderr tail is not repeated: it was printed, and may be older
		// than the crash.
		{&proc.ExitError{Name: "api/x", ExitCode: 3, Stderr: "panic: an earlier request", Err: status}, "exit status 3"},
		{errors.New("running api/x.py: exited with status 1"), "running api/x.py: exited with status 1"},
	} {
		if got := exitStatus(tc.err); got != tc.want {
			t.Errorf("exitStatus(%q) = %q, want %q", tc.err, got, tc.want)
		}
	}
}
