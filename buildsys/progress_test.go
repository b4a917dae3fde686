package buildsys

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/lambdalens/lambdalens/runtimes"
)

func TestRunEventsAndJSON(t *testing.T) {
	p := threeFunctions(t)
	var progress bytes.Buffer
	var mu sync.Mutex
	var events []Event
	concurrent := false
	inHook := false
	_, err := Run(context.Background(), Options{
		Project: p, Runtimes: goRuntimes(&fakeRuntime{lang: runtimes.Go}), Progress: &progress, Style: StyleJSON, Jobs: 3,
		Events: func(e Event) {
			if inHook {
				concurrent = true
			}
			inHook = true
			mu.Lock()
			events = append(events, e)
			mu.Unlock()
			inHook = false
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if concurrent {
		t.Error("Events was called concurrently")
	}
	stages := map[string][]Stage{}
	lastCompleted := 0
	for _, e := range events {
		stages[e.Function] = append(stages[e.Function], e.Stage)
		if e.Total != 3 || e.Completed < lastCompleted {
			t.Errorf("event %+v: Completed/Total out of order", e)
		}
		lastCompleted = e.Completed
	}
	if lastCompleted != 3 {
		t.Errorf("last Completed = %d, want 3", lastCompleted)
	}
	for _, id := range []string{"api/a", "api/b", "api/c"} {
		if want := []Stage{StageQueued, StageBuilding, StageDone}; !slices.Equal(stages[id], want) {
			t.Errorf("%s stages = %q, want %q", id, stages[id], want)
		}
	}
	// Every line is one JSON object; the last is the summary.
	var lines []map[string]any
	sc := bufio.NewScanner(&progress)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		lines = append(lines, m)
	}
	if len(lines) != 10 {
		t.Fatalf("%d JSON lines, want 9 events + 1 summary", len(lines))
	}
	last := lines[len(lines)-1]
	if last["type"] != "summary" || last["ok"] != true || len(last["functions"].([]any)) != 3 {
		t.Errorf("summary line = %v", last)
	}
	if lines[8]["type"] != "done" || lines[8]["size"] == nil || lines[8]["runtime"] != "provided.al2023" {
		t.Errorf("done line = %v", lines[8])
	}
}

func TestProgressStyles(t *testing.T) {
	run := func(t *testing.T, style Style, src string) string {
		p := testProject(t, map[string]string{"api/a.go": "package handler", "api/b.go": src}, fn("api/a.go"), fn("api/b.go"))
		var out bytes.Buffer
		Run(context.Background(), Options{Project: p, Runtimes: goRuntimes(&fakeRuntime{lang: runtimes.Go}), Progress: &out, Style: style, Jobs: 1})
		return out.String()
	}
	t.Run("plain", func(t *testing.T) {
		out := run(t, StylePlain, "package handler // b")
		for _, want := range []string{"building api/a (api/a.go, x86_64)\n", "done     api/a  ", "FUNCTION", "provided.al2023", "Wrote .vercel/output: 2 functions"} {
			if !strings.Contains(out, want) {
				t.Errorf("plain output lacks %q:\n%s", want, out)
			}
		}
		if strings.Contains(out, "\x1b[") {
			t.Error("plain output has escape sequences")
		}
	})
	t.Run("tty", func(t *testing.T) {
		out := run(t, StyleTTY, "package handler\nFAIL 2:3 nope")
		for _, want := range []string{"\x1b[2A", "\r\x1b[2K", "✓ done     api/a  ", "✗ failed   api/b  building api/b.go", "failed; nothing was written"} {
			if !strings.Contains(out, want) {
				t.Errorf("tty output lacks %q:\n%q", want, out)
			}
		}
	})
	t.Run("auto on a buffer is plain", func(t *testing.T) {
		if strings.Contains(run(t, StyleAuto, "package handler"), "\x1b[") {
			t.Error("auto style used escapes on a buffer")
		}
	})
}
