package devserver

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReloadAsksWhatWasLoaded: a change to a file restarts only the
// processes that loaded it (runtimes.LoadTracker), and every process that
// cannot tell. The same path runs on real interpreters in the CLI's
// end-to-end tests (cmd/lambdalens, python-modules).
func TestReloadAsksWhatWasLoaded(t *testing.T) {
	h := startHarness(t, map[string]string{
		"api/a.py":    pyHandler("1") + "# LOADS lib/a.py,lib/both.py\n",
		"api/b.py":    pyHandler("1") + "# LOADS lib/b.py,lib/both.py\n",
		"api/c.py":    pyHandler("1") + "# LOADS ?\n",
		"lib/a.py":    "A = 1\n",
		"lib/b.py":    "B = 1\n",
		"lib/both.py": "BOTH = 1\n",
		"lib/none.py": "NONE = 1\n",
	})
	h.pyRT.inputsExtra = []string{"lib"}
	pids := map[string]int{}
	for _, fn := range []string{"a", "b", "c"} {
		pids[fn] = h.waitVersion("/api/"+fn, "1").PID
	}
	waitInputs(t, h.srv, "api/a", "api/b", "api/c")
	asked := func() map[string]int {
		h.pyRT.mu.Lock()
		defer h.pyRT.mu.Unlock()
		out := map[string]int{}
		for k, v := range h.pyRT.asked {
			out[k] = v
		}
		return out
	}
	// step changes a file, waits until a and b were asked about it and
	// the restarts have run, and checks which processes are new.
	step := func(what string, change func(), restarted ...string) {
		t.Helper()
		before := asked()
		change()
		eventually(t, reloadTimeout, "a and b asked after "+what, func() (bool, string) {
			now := asked()
			return now["api/a.py"] > before["api/a.py"] && now["api/b.py"] > before["api/b.py"], fmt.Sprint(now)
		})
		h.settled()
		for _, fn := range []string{"a", "b", "c"} {
			pid := h.getEcho("/api/"+fn, nil).PID
			want := false
			for _, r := range restarted {
				want = want || r == fn
			}
			if got := pid != pids[fn]; got != want {
				t.Errorf("after %s: %s restarted = %v, want %v", what, fn, got, want)
			}
			pids[fn] = pid
		}
	}
	step("a write to a file nobody loaded", func() { h.write("lib/none.py", "NONE = 2\n") }, "c")
	step("a write to a file a loaded", func() { h.write("lib/a.py", "A = 2\n") }, "a", "c")
	step("a write to a file both loaded", func() { h.write("lib/both.py", "BOTH = 2\n") }, "a", "b", "c")
	// An editor's safe save renames a new file over the old one: still a
	// write of a file b loaded, asked about like one.
	step("a file b loaded replaced by rename", func() {
		tmp := filepath.Join(h.dir, "lib", "b.py.tmp")
		if err := os.WriteFile(tmp, []byte("B = 2\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, filepath.Join(h.dir, "lib", "b.py")); err != nil {
			t.Fatal(err)
		}
	}, "b", "c")
}

// TestReloadJudgesEarlyEventsOnceInputsAreKnown: a file that appears
// before the function's inputs are known, and is not a source file, is
// judged against the inputs once they are: a file in a folder the
// function embeds rebuilds it, another file does not.
func TestReloadJudgesEarlyEventsOnceInputsAreKnown(t *testing.T) {
	for _, tc := range []struct {
		file    string
		rebuild bool
	}{{"api/tmpl/new.html", true}, {"docs/new.html", false}} {
		t.Run(tc.file, func(t *testing.T) {
			h := startHarness(t, map[string]string{"api/a.go": goHandler("1"), "api/tmpl/index.html": "hi", "docs/index.html": "hi"})
			h.goRT.anyTrees = []string{"api/tmpl"}
			gate := make(chan struct{})
			h.goRT.inputsGate = gate
			h.waitVersion("/api/a", "1")
			// The file appears in one event: renamed into place from
			// .vercel, which is not watched. Written in place, its create
			// and write events may land in two batches, and a write
			// handled after the inputs are known is a change of its own
			// (the file went from empty to "new"): one more rebuild.
			staged := filepath.Join(h.dir, ".vercel", "staged")
			writeFiles(t, h.dir, map[string]string{".vercel/staged": "new"})
			batches := h.srv.reloads.processed.Load()
			if err := os.Rename(staged, filepath.Join(h.dir, filepath.FromSlash(tc.file))); err != nil {
				t.Fatal(err)
			}
			eventually(t, reloadTimeout, "the write to be processed", func() (bool, string) {
				return h.srv.reloads.processed.Load() > batches, ""
			})
			if n := h.settled()["api/a.go"]; n != 1 {
				t.Fatalf("a was started %d times before its inputs were known, want 1", n)
			}
			judged := h.srv.inputsJudged.Load()
			close(gate)
			eventually(t, reloadTimeout, "the inputs to judge the write", func() (bool, string) {
				return h.srv.inputsJudged.Load() > judged, ""
			})
			want := 1
			if tc.rebuild {
				want = 2
				h.events.waitFor(t, "a rebuild for "+tc.file, func(ev Event) bool {
					return ev.Type == EventBuildStarted && ev.Function == "api/a" && ev.Reason == "changed "+tc.file
				})
			}
			if n := h.settled()["api/a.go"]; n != want {
				t.Errorf("a was started %d times after its inputs were known, want %d", n, want)
			}
		})
	}
}

// TestReloadForgetsEventsBeforeABuild: changes made before a function's
// first build are in that build; they do not rebuild it once its inputs
// are known, even past the number of events kept.
func TestReloadForgetsEventsBeforeABuild(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files int
	}{{"an embedded file", 1}, {"more events than are kept", maxUnjudged + 10}} {
		t.Run(tc.name, func(t *testing.T) {
			h := startHarness(t, map[string]string{"api/a.go": goHandler("1"), "api/tmpl/index.html": "hi"})
			h.goRT.anyTrees = []string{"api/tmpl"}
			for i := range tc.files {
				h.write(fmt.Sprintf("api/tmpl/f%03d.html", i), "before any request")
			}
			// Events are handled in order: once a vercel.json written
			// after them has reloaded the project, every write before it
			// was handled. (Not a Go file: until the inputs are known, a
			// Go file counts for the function, and the rest of its batch,
			// handled after the reload event, could race the request.)
			loaded := func(ev Event) bool { return ev.Type == EventProjectLoaded }
			before := h.events.count(loaded)
			h.write("vercel.json", "{}\n")
			eventually(t, reloadTimeout, "the writes to be handled", func() (bool, string) {
				return h.events.count(loaded) > before, ""
			})
			f := h.srv.state.Load().funcs["api/a"]
			f.mu.Lock()
			kept, lost := len(f.unjudged), f.unjudgedLost
			f.mu.Unlock()
			if kept == 0 || lost != (tc.files > maxUnjudged) {
				t.Fatalf("kept %d events (lost %v) of %d writes before any request", kept, lost, tc.files)
			}
			h.waitVersion("/api/a", "1")
			eventually(t, reloadTimeout, "the inputs to be judged", func() (bool, string) {
				return h.srv.inputsJudged.Load() > 0, ""
			})
			if n := h.settled()["api/a.go"]; n != 1 {
				t.Errorf("a was started %d times for one request and no change after it, want 1", n)
			}
		})
	}
}

// The import hash of a Go file covers its imports, //go:build and
// //go:embed lines (a new embed pattern changes the inputs), and not its
// code.
func TestImportHashOfGoDirectives(t *testing.T) {
	hashOf := importHasher(t, "a.go")
	const head = "//go:build !windows\n\npackage handler\n\nimport \"embed\"\n\n"
	base := hashOf(head + "//go:embed a\nvar fs embed.FS\n\nvar x = 1\n")
	for _, tc := range []struct {
		name, src string
		same      bool
	}{
		{"code changed", head + "//go:embed a\nvar fs embed.FS\n\nvar x = 2\n", true},
		{"an embed pattern added", head + "//go:embed a b\nvar fs embed.FS\n\nvar x = 1\n", false},
		{"the build constraint changed", "//go:build linux\n" + head[len("//go:build !windows\n"):] + "//go:embed a\nvar fs embed.FS\n\nvar x = 1\n", false},
	} {
		if got := hashOf(tc.src) == base; got != tc.same {
			t.Errorf("%s: same hash %v, want %v", tc.name, got, tc.same)
		}
	}
}

// TestReloadJudgesEventsWhileInputsAreAskedAgain: a change that may change
// the inputs (here an import) has them asked again after its build; a
// file that appears meanwhile, outside the old inputs but inside the new
// ones (a folder newly embedded), rebuilds the function once they come.
func TestReloadJudgesEventsWhileInputsAreAskedAgain(t *testing.T) {
	h := startHarness(t, map[string]string{"api/a.go": goHandler("1")})
	h.waitVersion("/api/a", "1")
	waitInputs(t, h.srv, "api/a")
	eventually(t, reloadTimeout, "the first inputs judged", func() (bool, string) { return h.srv.inputsJudged.Load() > 0, "" })
	judged := h.srv.inputsJudged.Load()
	gate := make(chan struct{})
	h.goRT.inputsGate, h.goRT.anyTrees = gate, []string{"api/more"}
	h.write("api/a.go", strings.Replace(goHandler("2"), `import "net/http"`, "import (\n\t\"embed\"\n\t\"net/http\"\n)", 1))
	h.waitVersion("/api/a", "2")
	batches := h.srv.reloads.processed.Load()
	h.write("api/more/x.txt", "x")
	eventually(t, reloadTimeout, "the new file to be processed", func() (bool, string) {
		return h.srv.reloads.processed.Load() > batches, ""
	})
	close(gate)
	eventually(t, reloadTimeout, "the new inputs judged", func() (bool, string) { return h.srv.inputsJudged.Load() > judged, "" })
	h.events.waitFor(t, "a rebuild for api/more/x.txt", func(ev Event) bool {
		return ev.Type == EventBuildStarted && ev.Function == "api/a" && ev.Reason == "changed api/more/x.txt"
	})
}

// Two refreshes of the inputs in flight (a structural edit's build ends
// while the first build's refresh still runs): the newer one's answer is
// the inputs, whichever ends first, and a file created in between counts.
func TestReloadOverlappingRefreshes(t *testing.T) {
	for _, olderLast := range []bool{false, true} {
		t.Run(fmt.Sprintf("older ends last %v", olderLast), func(t *testing.T) {
			h := startHarness(t, map[string]string{"api/a.go": goHandler("1")})
			gate1, gate2 := make(chan struct{}), make(chan struct{})
			set := func(g chan struct{}, trees []string) {
				h.goRT.mu.Lock()
				h.goRT.inputsGate, h.goRT.anyTrees = g, trees
				h.goRT.mu.Unlock()
			}
			calls := func() int { h.goRT.mu.Lock(); defer h.goRT.mu.Unlock(); return h.goRT.inputsCalls }
			set(gate1, nil)
			h.waitVersion("/api/a", "1")
			eventually(t, reloadTimeout, "the first refresh to start", func() (bool, string) { return calls() == 1, "" })
			set(gate2, []string{"api/more"})
			h.write("api/a.go", strings.Replace(goHandler("2"), `import "net/http"`, "import (\n\t\"embed\"\n\t\"net/http\"\n)", 1))
			h.waitVersion("/api/a", "2")
			eventually(t, reloadTimeout, "the second refresh to start", func() (bool, string) { return calls() == 2, "" })
			first, second := gate1, gate2
			if olderLast {
				first, second = gate2, gate1
			}
			close(first)
			eventually(t, reloadTimeout, "one refresh to end", func() (bool, string) { return h.srv.inputsJudged.Load() == 1, "" })
			if olderLast {
				close(second)
				eventually(t, reloadTimeout, "both refreshes to end", func() (bool, string) { return h.srv.inputsJudged.Load() == 2, "" })
			}
			batches := h.srv.reloads.processed.Load()
			h.write("api/more/x.txt", "x")
			eventually(t, reloadTimeout, "the new file to be processed", func() (bool, string) {
				return h.srv.reloads.processed.Load() > batches, ""
			})
			if !olderLast {
				close(second)
			}
			h.events.waitFor(t, "a rebuild for api/more/x.txt", func(ev Event) bool {
				return ev.Type == EventBuildStarted && ev.Function == "api/a" && ev.Reason == "changed api/more/x.txt"
			})
		})
	}
}

// After a failed build, a file created beside the entrypoint (one its
// //go:embed found missing) builds again; one elsewhere does not.
func TestFailedBuildRetriesWhenAFileAppearsBesideIt(t *testing.T) {
	h := startHarness(t, map[string]string{"api/a.go": goHandler("1")})
	h.waitVersion("/api/a", "1")
	h.breakBuild("2")
	started := func(reason string) int {
		return h.events.count(func(ev Event) bool {
			return ev.Type == EventBuildStarted && ev.Function == "api/a" && ev.Reason == reason
		})
	}
	batches := h.srv.reloads.processed.Load()
	h.write("docs/notes.txt", "x")
	eventually(t, reloadTimeout, "the unrelated file to be processed", func() (bool, string) {
		return h.srv.reloads.processed.Load() > batches, ""
	})
	h.settled()
	if n := started("changed docs/notes.txt"); n != 0 {
		t.Errorf("a file created elsewhere started %d builds, want 0", n)
	}
	h.write("api/static/a.txt", "hello")
	h.events.waitFor(t, "a build for the new file", func(ev Event) bool {
		return ev.Type == EventBuildStarted && ev.Function == "api/a" && ev.Reason == "changed api/static/a.txt"
	})
}

// The import hash of a Python file covers import statements over several
// lines (parentheses, backslashes), and nothing else.
func TestImportHashOfPythonContinuationLines(t *testing.T) {
	hashOf := importHasher(t, "m.py")
	base := hashOf("from lib import (\n    a,\n)\nimport os, \\\n    sys\n\nX = 1\n")
	for _, tc := range []struct {
		name, src string
		same      bool
	}{
		{"code changed", "from lib import (\n    a,\n)\nimport os, \\\n    sys\n\nX = 2\n", true},
		{"a name inside the parentheses", "from lib import (\n    a,\n    b,\n)\nimport os, \\\n    sys\n\nX = 1\n", false},
		{"a name after the backslash", "from lib import (\n    a,\n)\nimport os, \\\n    sys, json\n\nX = 1\n", false},
	} {
		if got := hashOf(tc.src) == base; got != tc.same {
			t.Errorf("%s: same hash %v, want %v", tc.name, got, tc.same)
		}
	}
}

// importHasher returns a function that writes src to a file named name and
// returns its import hash.
func importHasher(t *testing.T, name string) func(src string) uint64 {
	x := newImportIndex()
	p := filepath.Join(t.TempDir(), name)
	return func(src string) uint64 {
		t.Helper()
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		h, ok := x.hash(p)
		if !ok {
			t.Fatalf("no hash for %q", src)
		}
		return h
	}
}
