package lsp_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.lsp.dev/protocol"

	"github.com/lambdalens/lambdalens/lsp/lsptest"
)

const newGoFunction = "package handler\n\nimport \"net/http\"\n\nfunc New(w http.ResponseWriter, r *http.Request) {}\n"

// A client that can watch files is asked to; its notifications reload.
func TestWatchedFilesByClient(t *testing.T) {
	o := testOpts{editor: lsptest.Options{WatchedFiles: true, CodeLensRefresh: true}}
	runTest(t, goFunction, o, func(e *env) {
		e.await("the registration", func(s *lsptest.State) bool {
			for _, r := range s.Registrations {
				if r.Method == protocol.MethodWorkspaceDidChangeWatchedFiles {
					return true
				}
			}
			return false
		})
		e.await("the first lens refresh", func(s *lsptest.State) bool { return s.LensRefreshes > 0 })
		refreshes := e.State().LensRefreshes
		e.must(os.WriteFile(e.Path("api/broken.py"), []byte("x = 1\n"), 0o644))
		e.must(os.WriteFile(e.Path("api/new.go"), []byte(newGoFunction), 0o644))
		e.must(e.ChangeWatchedFiles(e.ctx, protocol.FileChangeTypeCreated, "api/broken.py", "api/new.go"))
		e.await("the new file's diagnostic", func(s *lsptest.State) bool { return s.HasDiagnostic("api/broken.py", "py-no-entrypoint") })
		e.await("a lens refresh for the new function", func(s *lsptest.State) bool { return s.LensRefreshes > refreshes })
		if got := e.lenses("api/new.go"); len(got) != 2 {
			t.Errorf("lenses of the new function = %q", got)
		}
		e.must(os.Remove(e.Path("api/broken.py")))
		e.must(e.ChangeWatchedFiles(e.ctx, protocol.FileChangeTypeDeleted, "api/broken.py"))
		e.await("the deleted file's diagnostics cleared", func(s *lsptest.State) bool { return s.NoDiagnostics("api/broken.py") })

		// A deleted folder is one event for the folder (VS Code): the
		// registration asks for every deletion, and the event reloads.
		raw, err := json.Marshal(e.State().Registrations)
		e.must(err)
		if !strings.Contains(string(raw), `{"globPattern":"**/*","kind":4}`) {
			t.Errorf("no watcher for deletions of folders in %s", raw)
		}
		e.must(os.MkdirAll(e.Path("api/users"), 0o755))
		e.must(os.WriteFile(e.Path("api/users/broken.py"), []byte("x = 1\n"), 0o644))
		e.must(e.ChangeWatchedFiles(e.ctx, protocol.FileChangeTypeCreated, "api/users/broken.py"))
		e.await("the nested file's diagnostic", func(s *lsptest.State) bool { return s.HasDiagnostic("api/users/broken.py", "py-no-entrypoint") })
		e.must(os.RemoveAll(e.Path("api/users")))
		e.must(e.ChangeWatchedFiles(e.ctx, protocol.FileChangeTypeDeleted, "api/users"))
		e.await("the deleted folder's diagnostics cleared", func(s *lsptest.State) bool { return s.NoDiagnostics("api/users/broken.py") })
	})
}

// A client that cannot (Neovim on Linux) gets the server's own watcher.
func TestWatchedFilesByServer(t *testing.T) {
	runTest(t, goFunction, testOpts{}, func(e *env) {
		e.lenses("api/hello.go") // a round trip: initialized was handled
		if n := len(e.State().Registrations); n != 0 {
			t.Errorf("registered %d capabilities with a client that cannot", n)
		}
		e.must(os.MkdirAll(e.Path("api/sub"), 0o755))
		e.must(os.WriteFile(e.Path("api/sub/broken.py"), []byte("x = 1\n"), 0o644))
		e.await("the new file's diagnostic", func(s *lsptest.State) bool { return s.HasDiagnostic("api/sub/broken.py", "py-no-entrypoint") })
		e.must(os.WriteFile(e.Path("api/new.go"), []byte(newGoFunction), 0o644))
		e.eventually("lenses on the new function", func() bool { return len(e.lenses("api/new.go")) == 2 })
		e.must(os.RemoveAll(e.Path("api/sub")))
		e.await("cleared", func(s *lsptest.State) bool { return s.NoDiagnostics("api/sub/broken.py") })
	})
}

// fileWatcher "off" watches nothing.
func TestWatchedFilesOff(t *testing.T) {
	o := testOpts{editor: lsptest.Options{WatchedFiles: true, InitializationOptions: map[string]any{"fileWatcher": "off"}}}
	runTest(t, goFunction, o, func(e *env) {
		e.open("api/hello.go") // a round trip after initialized
		if n := len(e.State().Registrations); n != 0 {
			t.Errorf("registered %d capabilities with fileWatcher off", n)
		}
	})
}

// fileWatcher changed after initialized takes effect: from "off" to the
// client's watcher, and from "off" to the server's (fsnotify).
func TestWatchedFilesSettingChanged(t *testing.T) {
	push := func(e *env, mode string) {
		e.must(e.Conn().Notify(e.ctx, protocol.MethodWorkspaceDidChangeConfiguration, map[string]any{
			"settings": map[string]any{"lambdalens": map[string]any{"fileWatcher": mode}},
		}))
		e.lenses("api/hello.go") // a round trip: the notification was handled
	}
	off := map[string]any{"diagnosticsDelay": "1ms", "fileWatcher": "off"}
	t.Run("client", func(t *testing.T) {
		runTest(t, goFunction, testOpts{editor: lsptest.Options{WatchedFiles: true, InitializationOptions: off}}, func(e *env) {
			push(e, "auto")
			e.await("the registration", func(s *lsptest.State) bool {
				for _, r := range s.Registrations {
					if r.Method == protocol.MethodWorkspaceDidChangeWatchedFiles {
						return true
					}
				}
				return false
			})
		})
	})
	t.Run("fsnotify", func(t *testing.T) {
		runTest(t, goFunction, testOpts{editor: lsptest.Options{InitializationOptions: off}}, func(e *env) {
			push(e, "fsnotify")
			e.must(os.WriteFile(e.Path("api/broken.py"), []byte("x = 1\n"), 0o644))
			e.await("the new file's diagnostic", func(s *lsptest.State) bool { return s.HasDiagnostic("api/broken.py", "py-no-entrypoint") })
		})
	})
}

// A workspace folder opened through a symbolic link (the editor names the
// link): its project is loaded, and the server's own watcher sees files
// created in subfolders.
func TestLinkedWorkspaceFolder(t *testing.T) {
	dir := t.TempDir()
	if err := lsptest.WriteTxtar(dir, goFunction); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(t.TempDir(), "linked")
	if err := os.Symlink(dir, link); err != nil {
		t.Skipf("symlinks unavailable: %v", err)
	}
	runTestIn(t, link, testOpts{}, func(e *env) {
		e.eventually("lenses on the function", func() bool { return len(e.lenses("api/hello.go")) == 2 })
		e.must(os.MkdirAll(filepath.Join(dir, "api", "sub"), 0o755))
		e.must(os.WriteFile(filepath.Join(dir, "api", "sub", "broken.py"), []byte("x = 1\n"), 0o644))
		e.await("the new file's diagnostic", func(s *lsptest.State) bool { return s.HasDiagnostic("api/sub/broken.py", "py-no-entrypoint") })
	})
}
