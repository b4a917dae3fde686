package lsp

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"go.lsp.dev/protocol"

	"github.com/lambdalens/lambdalens/devserver"
)

// defaultDiagnosticsDelay is how long the server waits after an edit
// before the full phase of diagnostics (a reload of the whole project).
// The quick phase, which re-analyzes the edited file alone and costs
// microseconds, does not wait.
//
// Rationale: the full phase costs a few milliseconds on a large project and
// is cancelled by every edit, so running it between keystrokes of a burst
// (a paste, a format-on-type, fast typing) only burns CPU; 20 ms coalesces
// such bursts while staying below what a person notices between typing
// and seeing a conflict or a new function's lens appear. gopls waits a
// second for its full pass, which suits analyzers, not a check this cheap.
const defaultDiagnosticsDelay = 20 * time.Millisecond

// Lens kinds, the keys of Settings.CodeLenses.
const (
	lensDev      = "dev"      // ▶ Run dev server / ■ Stop dev server
	lensOpen     = "open"     // ● http://127.0.0.1:3000/api/...
	lensBuild    = "build"    // Build for Lambda
	lensBuildAll = "buildAll" // Build all for Lambda, on vercel.json
)

var lensKinds = []string{lensDev, lensOpen, lensBuild, lensBuildAll}

// File watcher choices, the values of Settings.FileWatcher.
const (
	watchAuto     = "auto"
	watchClient   = "client"
	watchFsnotify = "fsnotify"
	watchOff      = "off"
)

// Settings are the user's options. They come from initializationOptions
// and from workspace/configuration (section "lambdalens"); both may hold
// them flat or under a "lambdalens" key. A setting that is absent keeps its
// default: each workspace/configuration answer or pushed section replaces
// the previous one, on top of the defaults and initializationOptions.
type Settings struct {
	// CodeLenses switches each lens kind on or off: "dev" (▶ Run dev
	// server, ■ Stop dev server), "open" (● the function's URL), "build"
	// (Build for Lambda) and "buildAll" (Build all for Lambda, on
	// vercel.json). Default: all on.
	CodeLenses map[string]bool `json:"codelenses"`
	// DiagnosticsDelay is the quiet time after an edit before the whole
	// project is reloaded (the edited file's own diagnostics do not wait),
	// as a Go duration ("20ms") or a number of milliseconds. Default:
	// defaultDiagnosticsDelay.
	DiagnosticsDelay time.Duration `json:"diagnosticsDelay"`
	// TypeCheckOnSave runs a go/types check of the saved file's package
	// on save. Default: true.
	TypeCheckOnSave bool `json:"typeCheckOnSave"`
	// DevListen is the address dev servers listen on; a taken port moves
	// to the next free one. Default: devserver.DefaultListen.
	DevListen string `json:"devListen"`
	// FileWatcher says who reports files changed outside the editor:
	// "client" (workspace/didChangeWatchedFiles), "fsnotify" (the server
	// watches), "auto" (the client when it can register watchers, else
	// fsnotify) or "off". Default: "auto". A change takes effect at once.
	FileWatcher string `json:"fileWatcher"`
}

func defaultSettings() Settings {
	s := Settings{
		CodeLenses:       map[string]bool{},
		DiagnosticsDelay: defaultDiagnosticsDelay,
		TypeCheckOnSave:  true,
		DevListen:        devserver.DefaultListen,
		FileWatcher:      watchAuto,
	}
	for _, k := range lensKinds {
		s.CodeLenses[k] = true
	}
	return s
}

// baseSettings are the defaults with Config.Settings applied. Problems in
// Config.Settings are logged: they come from the program, not the user.
func baseSettings(cfg Config) Settings {
	s, problems := applySettings(defaultSettings(), anyMap(cfg.Settings))
	for _, p := range problems {
		logger(cfg).Warn("ignoring a default setting", "problem", p)
	}
	return s
}

// anyMap turns a nil map into a nil interface (no settings).
func anyMap(m map[string]any) any {
	if m == nil {
		return nil
	}
	return m
}

// lens reports whether a lens kind is on.
func (s Settings) lens(kind string) bool { return s.CodeLenses[kind] }

// rawSettings is Settings as sent, with presence.
type rawSettings struct {
	CodeLenses       map[string]bool `json:"codelenses"`
	DiagnosticsDelay json.RawMessage `json:"diagnosticsDelay"`
	TypeCheckOnSave  *bool           `json:"typeCheckOnSave"`
	DevListen        *string         `json:"devListen"`
	FileWatcher      *string         `json:"fileWatcher"`
}

// applySettings returns base with the settings in v (a decoded JSON value)
// applied, and the problems found (unknown keys, bad values), which leave
// the affected setting unchanged.
func applySettings(base Settings, v any) (Settings, []string) {
	if v == nil {
		return base, nil
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return base, []string{fmt.Sprintf("settings must be a JSON object, not %T", v)}
	}
	if inner, ok := obj["lambdalens"].(map[string]any); ok {
		obj = inner
	}
	data, err := json.Marshal(obj)
	if err != nil {
		return base, []string{fmt.Sprintf("reading settings: %v", err)}
	}
	var raw rawSettings
	if err := json.Unmarshal(data, &raw); err != nil {
		return base, []string{fmt.Sprintf("reading settings: %v", err)}
	}
	var problems []string
	known := map[string]bool{"codelenses": true, "diagnosticsDelay": true, "typeCheckOnSave": true, "devListen": true, "fileWatcher": true}
	for k := range obj {
		if !known[k] {
			problems = append(problems, fmt.Sprintf("unknown setting %q", k))
		}
	}
	out := base
	out.CodeLenses = map[string]bool{}
	for k, on := range base.CodeLenses {
		out.CodeLenses[k] = on
	}
	for k, on := range raw.CodeLenses {
		if _, ok := base.CodeLenses[k]; !ok {
			problems = append(problems, fmt.Sprintf("unknown code lens %q (known: %s)", k, strings.Join(lensKinds, ", ")))
			continue
		}
		out.CodeLenses[k] = on
	}
	if len(raw.DiagnosticsDelay) > 0 {
		if d, err := parseDelay(raw.DiagnosticsDelay); err != nil {
			problems = append(problems, err.Error())
		} else {
			out.DiagnosticsDelay = d
		}
	}
	if raw.TypeCheckOnSave != nil {
		out.TypeCheckOnSave = *raw.TypeCheckOnSave
	}
	if raw.DevListen != nil && *raw.DevListen != "" {
		out.DevListen = *raw.DevListen
	}
	if raw.FileWatcher != nil {
		switch *raw.FileWatcher {
		case watchAuto, watchClient, watchFsnotify, watchOff:
			out.FileWatcher = *raw.FileWatcher
		default:
			problems = append(problems, fmt.Sprintf("fileWatcher %q is not one of auto, client, fsnotify, off", *raw.FileWatcher))
		}
	}
	sort.Strings(problems)
	return out, problems
}

// parseDelay reads "5ms" or 5 (milliseconds).
func parseDelay(raw json.RawMessage) (time.Duration, error) {
	var str string
	if json.Unmarshal(raw, &str) == nil {
		d, err := time.ParseDuration(str)
		if err != nil || d < 0 || d > time.Minute {
			return 0, fmt.Errorf("diagnosticsDelay %q is not a duration between 0 and 1m", str)
		}
		return d, nil
	}
	var ms float64
	if err := json.Unmarshal(raw, &ms); err != nil || ms < 0 || ms > 60000 {
		return 0, fmt.Errorf("diagnosticsDelay %s is not a duration or a number of milliseconds", raw)
	}
	return time.Duration(ms * float64(time.Millisecond)), nil
}

// setSettings makes v the client's settings and reacts to the change:
// lenses are refreshed, file watching follows fileWatcher, problems are
// reported in the log. v is the whole
// section, as workspace/configuration answers and editors push it: a
// setting absent from v takes its default (with Config.Settings and
// initializationOptions applied), not the value an earlier v gave it.
func (s *server) setSettings(v any, origin string) {
	s.mu.Lock()
	next, problems := applySettings(s.initSettings, v)
	s.settings = next
	s.mu.Unlock()
	for _, p := range problems {
		s.logMessage(protocol.MessageTypeWarning, fmt.Sprintf("lambdalens: %s: %s", origin, p))
	}
	s.rewatch()
	s.refreshLenses()
}

// currentSettings returns a copy of the settings.
func (s *server) currentSettings() Settings {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.settings
}

// DidChangeConfiguration applies pushed settings, or asks the client for
// them when it pushes none but supports workspace/configuration.
func (s *server) DidChangeConfiguration(_ context.Context, params *protocol.DidChangeConfigurationParams) error {
	if params != nil && params.Settings != nil {
		if obj, ok := params.Settings.(map[string]any); !ok || len(obj) > 0 {
			s.setSettings(params.Settings, "workspace/didChangeConfiguration")
			return nil
		}
	}
	s.fetchConfiguration()
	return nil
}

// fetchConfiguration asks a client that supports workspace/configuration
// for the "lambdalens" section, in the background.
func (s *server) fetchConfiguration() {
	s.mu.Lock()
	ok := s.caps.configuration
	s.mu.Unlock()
	if !ok {
		return
	}
	s.goBackground("workspace/configuration", func(ctx context.Context) {
		res, err := s.client.Configuration(ctx, &protocol.ConfigurationParams{
			Items: []protocol.ConfigurationItem{{Section: "lambdalens"}},
		})
		if err != nil {
			s.log.Debug("asking for the configuration", "err", err)
			return
		}
		if len(res) > 0 && res[0] != nil {
			s.setSettings(res[0], "workspace/configuration")
		}
	})
}
