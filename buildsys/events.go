package buildsys

import (
	"encoding/json"
	"time"

	"github.com/lambdalens/lambdalens/runtimes"
)

// Stage is where a function is in the build.
type Stage string

const (
	// StageQueued: selected, waiting for a build slot.
	StageQueued Stage = "queued"
	// StageBuilding: holding a slot; computing its cache key or building.
	StageBuilding Stage = "building"
	// StageCached: restored from the build cache (final).
	StageCached Stage = "cached"
	// StageDone: built (final).
	StageDone Stage = "done"
	// StageFailed: the build failed (final); Err says why.
	StageFailed Stage = "failed"
)

// Final reports whether s ends a function's build.
func (s Stage) Final() bool { return s == StageCached || s == StageDone || s == StageFailed }

// Event is one change of a function's Stage.
type Event struct {
	Stage    Stage
	Function string // ID
	File     string
	Language runtimes.Language
	Arch     string
	// Runtime is the Lambda runtime ("provided.al2023"), once built.
	Runtime string
	// Size and ZipSize are in bytes, set in final stages other than failed.
	Size, ZipSize int64
	// Duration is the time spent building or restoring, in final stages.
	Duration time.Duration
	// Err is the failure, in StageFailed; Diagnostics are its file:line
	// problems (compiler errors), possibly empty.
	Err         error
	Diagnostics []runtimes.Diagnostic
	// Completed counts the functions in a final stage, this one included;
	// Total is the number of functions being built.
	Completed, Total int
}

// MarshalJSON renders an event as one object with "type" set to the stage,
// durations in milliseconds and the error as text.
func (e Event) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Type        Stage                 `json:"type"`
		Function    string                `json:"function"`
		File        string                `json:"file"`
		Language    runtimes.Language     `json:"language"`
		Arch        string                `json:"arch"`
		Runtime     string                `json:"runtime,omitempty"`
		Size        int64                 `json:"size,omitempty"`
		ZipSize     int64                 `json:"zipSize,omitempty"`
		DurationMS  int64                 `json:"durationMs,omitempty"`
		Error       string                `json:"error,omitempty"`
		Diagnostics []runtimes.Diagnostic `json:"diagnostics,omitempty"`
		Completed   int                   `json:"completed"`
		Total       int                   `json:"total"`
	}{e.Stage, e.Function, e.File, e.Language, e.Arch, e.Runtime, e.Size, e.ZipSize,
		e.Duration.Milliseconds(), errText(e.Err), e.Diagnostics, e.Completed, e.Total})
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// Summary is the outcome of a Run.
type Summary struct {
	// Root is the project root.
	Root string
	// Legacy is set when vercel.json has builds, which name every
	// function (no zero-config api/ functions, servers or apps).
	Legacy bool
	// OutDir is the Build Output directory written; empty when the build
	// failed and nothing was written.
	OutDir string
	// Functions are the selected functions, in ID order.
	Functions []FunctionSummary
	// Duration is the wall time of the whole run.
	Duration time.Duration
}

// OK reports whether every function built.
func (s *Summary) OK() bool {
	for _, f := range s.Functions {
		if f.Err != nil {
			return false
		}
	}
	return true
}

// FunctionSummary is the outcome for one function.
type FunctionSummary struct {
	ID       string
	File     string
	Language runtimes.Language
	Arch     string
	// Runtime is the Lambda runtime; empty when the build failed.
	Runtime string
	// Dir is the .func directory in the final output and Zip the zip
	// (with Options.Zip); empty when nothing was written.
	Dir, Zip      string
	Size, ZipSize int64
	Duration      time.Duration
	Cached        bool
	// Key is the build cache key.
	Key string
	// Err is the failure, nil on success.
	Err error
}

// MarshalJSON renders a summary line of StyleJSON.
func (s *Summary) MarshalJSON() ([]byte, error) {
	type fn struct {
		ID         string            `json:"function"`
		File       string            `json:"file"`
		Language   runtimes.Language `json:"language"`
		Arch       string            `json:"arch"`
		Runtime    string            `json:"runtime,omitempty"`
		Dir        string            `json:"dir,omitempty"`
		Zip        string            `json:"zip,omitempty"`
		Size       int64             `json:"size"`
		ZipSize    int64             `json:"zipSize,omitempty"`
		DurationMS int64             `json:"durationMs"`
		Cached     bool              `json:"cached"`
		Error      string            `json:"error,omitempty"`
	}
	fns := make([]fn, len(s.Functions))
	for i, f := range s.Functions {
		fns[i] = fn{f.ID, f.File, f.Language, f.Arch, f.Runtime, f.Dir, f.Zip, f.Size, f.ZipSize,
			f.Duration.Milliseconds(), f.Cached, errText(f.Err)}
	}
	return json.Marshal(struct {
		Type       string `json:"type"`
		OK         bool   `json:"ok"`
		OutDir     string `json:"outDir,omitempty"`
		Functions  []fn   `json:"functions"`
		DurationMS int64  `json:"durationMs"`
	}{"summary", s.OK(), s.OutDir, fns, s.Duration.Milliseconds()})
}
