package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lambdalens/lambdalens/devserver"
	"github.com/lambdalens/lambdalens/runtimes/lambdatest"
)

// pyModuleFn is a function that answers with its process id and the
// values of the modules it imports.
const pyModuleFn = `import os
from http.server import BaseHTTPRequestHandler
from lib import shared, %[1]s_helper


class handler(BaseHTTPRequestHandler):
    def do_GET(self):
        body = "%%d %%s %%s" %% (os.getpid(), shared.VALUE, %[1]s_helper.VALUE)
        self.send_response(200)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body.encode())
`

// testDevPythonModules: on real interpreters, a change to a module
// restarts only the functions that imported it.
func testDevPythonModules(t *testing.T, bin string) {
	lambdatest.HostPython(t)
	root := t.TempDir()
	for name, src := range map[string]string{
		"api/a.py":        fmt.Sprintf(pyModuleFn, "a"),
		"api/b.py":        fmt.Sprintf(pyModuleFn, "b"),
		"lib/shared.py":   "VALUE = 'shared1'\n",
		"lib/a_helper.py": "VALUE = 'a1'\n",
		"lib/b_helper.py": "VALUE = 'b1'\n",
		"lib/unused.py":   "VALUE = 'unused1'\n",
	} {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	d := startDev(t, bin, root, "")
	serving := func(fn, want string) (pid string) {
		t.Helper()
		r := d.poll("/api/"+fn, "api/"+fn+" with "+want, func(r reply) bool {
			return r.status == 200 && strings.HasSuffix(r.body, " "+want)
		})
		pid, _, _ = strings.Cut(r.body, " ")
		return pid
	}
	pidA, pidB := serving("a", "shared1 a1"), serving("b", "shared1 b1")

	// step edits a file, waits for the functions in want to serve the
	// new values, and checks that no other function was rebuilt.
	step := func(file, old, new string, want map[string]string) {
		t.Helper()
		mark := d.mark()
		editFile(t, root, file, old, new)
		for fn, values := range want {
			pid := serving(fn, values)
			if fn == "a" && pid == pidA || fn == "b" && pid == pidB {
				t.Errorf("after editing %s, api/%s serves %q from its old process", file, fn, values)
			}
			if fn == "a" {
				pidA = pid
			} else {
				pidB = pid
			}
		}
		// Every restart of the batch started before the first new
		// process served: builds started now are all there will be.
		for _, ev := range d.eventsFrom(mark) {
			if ev.Type == devserver.EventBuildStarted && want[strings.TrimPrefix(ev.Function, "api/")] == "" {
				t.Errorf("editing %s rebuilt %s (%s), which never imported it", file, ev.Function, ev.Reason)
			}
		}
	}
	step("lib/a_helper.py", "a1", "a2", map[string]string{"a": "shared1 a2"})
	if got := serving("b", "shared1 b1"); got != pidB {
		t.Errorf("api/b's process changed (%s to %s) for an edit of a module it never imported", pidB, got)
	}
	step("lib/shared.py", "shared1", "shared2", map[string]string{"a": "shared2 a2", "b": "shared2 b1"})
	// A module nobody imported: no restart. The edit of the entrypoint
	// after it is the sign that the batch was handled.
	mark := d.mark()
	editFile(t, root, "lib/unused.py", "unused1", "unused2")
	editFile(t, root, "lib/b_helper.py", "b1", "b2")
	serving("b", "shared2 b2")
	for _, ev := range d.eventsFrom(mark) {
		if ev.Type == devserver.EventBuildStarted && ev.Function == "api/a" {
			t.Errorf("editing lib/unused.py and lib/b_helper.py rebuilt api/a (%s)", ev.Reason)
		}
	}
	if got := serving("a", "shared2 a2"); got != pidA {
		t.Errorf("api/a's process changed (%s to %s) for edits of modules it never imported", pidA, got)
	}
}
