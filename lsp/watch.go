package lsp

import (
	"context"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/bmatcuk/doublestar/v4"
	"go.lsp.dev/protocol"

	"github.com/lambdalens/lambdalens/devserver/watch"
)

// watchedGlobs are the files whose changes outside the editor (a git
// checkout, a new file in api/, a generator) can change the model.
var watchedGlobs = []string{
	"**/*.go", "**/*.py", "**/vercel.json", "**/.vercelignore", "**/.nowignore", "**/go.mod", "**/go.work",
	"**/.go-version", "**/.python-version", "**/runtime.txt", "**/pyproject.toml", "**/requirements.txt", "**/Pipfile",
	"**/public/404.html",
}

// ignoredDirs are directory names whose contents never matter to the
// model (and can be huge).
var ignoredDirs = map[string]bool{
	".git": true, ".hg": true, ".svn": true, ".vercel": true, "node_modules": true,
	".venv": true, "venv": true, "__pycache__": true, ".mypy_cache": true, ".pytest_cache": true, ".idea": true, ".vscode": true,
}

// clientWatcherID is the registration of the client's file watcher.
const clientWatcherID = "lambdalens-watched-files"

// startWatching sets up file watching for every folder: the client's
// watcher when it can register one dynamically (and the setting allows),
// else fsnotify.
func (s *server) startWatching() {
	s.watchMu.Lock()
	defer s.watchMu.Unlock()
	s.mu.Lock()
	folders := append([]*folder(nil), s.folders...)
	caps, settings := s.caps, s.settings
	s.mu.Unlock()
	s.watchMode = watchModeOf(caps, settings)
	if s.watchMode == watchClient {
		s.registerClientWatcher()
		return
	}
	for _, f := range folders {
		s.startWatchingFolder(f)
	}
}

// registerClientWatcher asks the client to watch the files that matter.
func (s *server) registerClientWatcher() {
	var watchers []protocol.FileSystemWatcher
	for _, g := range watchedGlobs {
		watchers = append(watchers, protocol.FileSystemWatcher{GlobPattern: g, Kind: protocol.WatchKindCreate + protocol.WatchKindChange + protocol.WatchKindDelete})
	}
	// A deleted folder is one event for the folder itself (VS Code),
	// which no file glob matches: watch every deletion.
	watchers = append(watchers, protocol.FileSystemWatcher{GlobPattern: "**/*", Kind: protocol.WatchKindDelete})
	s.register(protocol.Registration{
		ID:              clientWatcherID,
		Method:          protocol.MethodWorkspaceDidChangeWatchedFiles,
		RegisterOptions: protocol.DidChangeWatchedFilesRegistrationOptions{Watchers: watchers},
	})
}

// rewatch switches file watching to what the settings ask for now, when
// they changed after initialized (a fileWatcher from
// workspace/configuration, typically, answered after startWatching ran
// with the defaults).
func (s *server) rewatch() {
	select {
	case <-s.ready:
	default:
		return // initialized will start what the settings say
	}
	s.watchMu.Lock()
	defer s.watchMu.Unlock()
	s.mu.Lock()
	folders := append([]*folder(nil), s.folders...)
	mode := watchModeOf(s.caps, s.settings)
	s.mu.Unlock()
	prev := s.watchMode
	if prev == "" || mode == prev {
		return // startWatching has yet to run: it reads the settings then
	}
	s.watchMode = mode
	if prev == watchClient {
		s.goBackground("client/unregisterCapability", func(ctx context.Context) {
			ctx, cancel := context.WithTimeout(ctx, clientCallTimeout)
			defer cancel()
			err := s.client.UnregisterCapability(ctx, &protocol.UnregistrationParams{Unregisterations: []protocol.Unregistration{
				{ID: clientWatcherID, Method: protocol.MethodWorkspaceDidChangeWatchedFiles},
			}})
			if err != nil {
				s.log.Info("the client refused an unregistration", "method", protocol.MethodWorkspaceDidChangeWatchedFiles, "err", err)
			}
		})
	}
	for _, f := range folders {
		if mode == watchFsnotify {
			s.startWatchingFolder(f)
		} else {
			f.stopWatching()
		}
	}
	if mode == watchClient {
		s.registerClientWatcher()
	}
}

// watchModeOf is who watches files: watchClient, watchFsnotify or
// watchOff.
func watchModeOf(caps clientCaps, settings Settings) string {
	switch {
	case settings.FileWatcher == watchOff:
		return watchOff
	case useClientWatcher(caps, settings):
		return watchClient
	}
	return watchFsnotify
}

func useClientWatcher(caps clientCaps, settings Settings) bool {
	switch settings.FileWatcher {
	case watchClient:
		return true
	case watchAuto:
		return caps.watchedFiles
	}
	return false
}

// startWatchingFolder starts an fsnotify watcher on a folder, unless the
// client watches files or watching is off. It does nothing before
// initialized: startWatching covers the folders known by then.
func (s *server) startWatchingFolder(f *folder) {
	select {
	case <-s.ready:
	default:
		return
	}
	s.mu.Lock()
	mode := watchModeOf(s.caps, s.settings)
	s.mu.Unlock()
	if mode != watchFsnotify {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.watcher != nil || f.isClosedLocked() {
		return
	}
	w, err := watch.New(s.ctx, f.root, ignoreWatch, f.filesChanged, baseLogger(s.cfg))
	if err != nil {
		s.logMessage(protocol.MessageTypeWarning, "lambdalens: cannot watch "+f.root+" for changes made outside the editor: "+err.Error())
		return
	}
	f.watcher = w
}

// stopWatching stops the folder's fsnotify watcher, if any.
func (f *folder) stopWatching() {
	f.mu.Lock()
	w := f.watcher
	f.watcher = nil
	f.mu.Unlock()
	if w != nil {
		if err := w.Close(); err != nil {
			f.log.Debug("closing the file watcher", "err", err)
		}
	}
}

// tooBroad reports whether root is a directory no one means as a project
// (the file system root, the home directory) and which would take
// minutes and thousands of watches to watch.
func tooBroad(root string) bool {
	if filepath.Dir(root) == root {
		return true
	}
	home, err := os.UserHomeDir()
	return err == nil && filepath.Clean(home) == root
}

// ignoreWatch rejects what never matters to the model.
func ignoreWatch(rel string, isDir bool) bool {
	base := path.Base(rel)
	if isDir {
		return ignoredDirs[base]
	}
	return strings.HasSuffix(base, ".pyc") || strings.HasSuffix(base, "~") || strings.HasPrefix(base, ".#")
}

// filesChanged receives fsnotify batches.
func (f *folder) filesChanged(events []watch.Event) {
	paths := make([]string, 0, len(events))
	for _, ev := range events {
		if !ev.IsDir && ev.Rel != "" {
			paths = append(paths, f.abs(ev.Rel))
		}
	}
	f.diskChanged(paths)
	for _, ev := range events {
		if ev.Op.Has(watch.Overflow) || ev.IsDir || f.relevant(ev.Rel) {
			f.invalidate(time.Now())
			return
		}
	}
}

// ignoredPath reports whether abs is inside a folder whose contents never
// matter to the model (.vercel, node_modules, .git ...): deletions there
// (a build replacing .vercel/output) need no reload.
func (f *folder) ignoredPath(abs string) bool {
	rel, ok := f.rel(abs)
	if !ok {
		return false
	}
	for seg := range strings.SplitSeq(rel, "/") {
		if ignoredDirs[seg] {
			return true
		}
	}
	return false
}

// relevant reports whether a file (relative to the root) can change the
// model.
func (f *folder) relevant(rel string) bool {
	for _, g := range watchedGlobs {
		if ok, _ := doublestar.Match(g, rel); ok {
			return true
		}
	}
	return false
}

// DidChangeWatchedFiles reloads the folders whose files changed.
func (s *server) DidChangeWatchedFiles(_ context.Context, params *protocol.DidChangeWatchedFilesParams) error {
	touched := map[*folder][]string{}
	for _, ev := range params.Changes {
		p, err := uriPath(ev.URI)
		if err != nil {
			continue
		}
		if f := s.folderFor(p); f != nil && !f.ignoredPath(p) {
			touched[f] = append(touched[f], p)
		}
	}
	now := time.Now()
	for f, paths := range touched {
		f.diskChanged(paths)
		f.invalidate(now)
	}
	return nil
}
