package config

import "github.com/lambdalens/lambdalens/runtimes"

// File is the name of the project configuration file.
const File = "vercel.json"

// Config is a parsed vercel.json. Every field keeps the range of the JSON
// value it came from, so diagnostics (ours and those of layers above, such
// as "this functions pattern matches no function") can point at it.
//
// A Config is usable even when the file had errors: Parse keeps every part
// it could read and reports the rest as diagnostics.
type Config struct {
	// Path is the slash path of the file relative to the project root
	// ("vercel.json"); empty when the project has no vercel.json.
	Path string `json:"path,omitempty"`
	// Root is the positioned JSON tree; nil when the file is absent or not
	// JSON at all.
	Root *Node `json:"-"`

	Functions     []FunctionRule    `json:"functions,omitempty"`
	Builds        []Build           `json:"builds,omitempty"`
	Routes        []LegacyRoute     `json:"routes,omitempty"`
	Rewrites      []Rewrite         `json:"rewrites,omitempty"`
	Redirects     []Redirect        `json:"redirects,omitempty"`
	Headers       []HeaderRule      `json:"headers,omitempty"`
	CleanURLs     bool              `json:"cleanUrls,omitempty"`
	TrailingSlash *bool             `json:"trailingSlash,omitempty"`
	Env           map[string]string `json:"env,omitempty"`
	BuildEnv      map[string]string `json:"buildEnv,omitempty"`
	// Framework is the "framework" key ("go", "fastapi", ...); empty if unset.
	Framework string `json:"framework,omitempty"`
	// PublicDir is "outputDirectory" when set, else "" (the loader then
	// uses "public").
	OutputDirectory string `json:"outputDirectory,omitempty"`
}

// FunctionRule is one entry of "functions": settings for the functions whose
// path matches Pattern (exact match or glob, first matching rule wins).
type FunctionRule struct {
	Pattern      string         `json:"pattern"`
	PatternRange runtimes.Range `json:"patternRange"`
	// Memory in MB, 0 when unset.
	Memory int `json:"memory,omitempty"`
	// MaxDuration in seconds, 0 when unset. MaxDurationMax is true for "max".
	MaxDuration    int    `json:"maxDuration,omitempty"`
	MaxDurationMax bool   `json:"maxDurationMax,omitempty"`
	Architecture   string `json:"architecture,omitempty"`
	// Runtime is "runtime" when it names a runtime lambdalens implements
	// (@vercel/go or @vercel/python with a version); "" when unset or a
	// community runtime, which is warned about and ignored.
	Runtime string `json:"runtime,omitempty"`
	// IncludeFiles and ExcludeFiles accept a string or an array of strings
	// in the file; both become a slice here.
	IncludeFiles   []string `json:"includeFiles,omitempty"`
	ExcludeFiles   []string `json:"excludeFiles,omitempty"`
	Regions        []string `json:"regions,omitempty"`
	MaxConcurrency int      `json:"maxConcurrency,omitempty"`
	// FunctionFailoverRegions is "functionFailoverRegions"; nil when unset.
	FunctionFailoverRegions []string `json:"functionFailoverRegions,omitempty"`
	// SupportsCancellation is "supportsCancellation"; false when unset.
	SupportsCancellation bool `json:"supportsCancellation,omitempty"`
	// ExperimentalTriggers is "experimentalTriggers"; nil when unset.
	ExperimentalTriggers []Trigger `json:"experimentalTriggers,omitempty"`
	// Affinity is "affinity"; nil when unset.
	Affinity *Affinity `json:"affinity,omitempty"`
	// Node is the rule's value object.
	Node *Node `json:"-"`
}

// Trigger is one "experimentalTriggers" entry: an event that invokes the
// function. The fields are Vercel's TriggerEventInput, in its order; the
// numbers are nil when unset.
type Trigger struct {
	// Type is "queue/v1beta", "queue/v2beta" or "schedule/v1beta".
	Type string `json:"type"`
	// Topic is the queue to consume (the queue types).
	Topic string `json:"topic,omitempty"`
	// Consumer is the consumer group; queue/v1beta only (for queue/v2beta
	// the build derives it from the "functions" pattern).
	Consumer            string   `json:"consumer,omitempty"`
	MaxDeliveries       *float64 `json:"maxDeliveries,omitempty"`
	RetryAfterSeconds   *float64 `json:"retryAfterSeconds,omitempty"`
	InitialDelaySeconds *float64 `json:"initialDelaySeconds,omitempty"`
	MaxConcurrency      *float64 `json:"maxConcurrency,omitempty"`
}

// Affinity is "affinity": {"mode": "strict"}.
type Affinity struct {
	Mode string `json:"mode"`
}

// Build is one legacy "builds" entry.
type Build struct {
	Src    string         `json:"src"`
	Use    string         `json:"use"`
	Config map[string]any `json:"config,omitempty"`
	Range  runtimes.Range `json:"range"`
}

// Has is one "has"/"missing" condition.
type Has struct {
	// Type is "header", "query", "cookie" or "host".
	Type string `json:"type"`
	// Key is required except for Type "host".
	Key string `json:"key,omitempty"`
	// Value is optional: absent means "present with any value". It is a
	// regular expression (anchored by the matcher), with named groups
	// usable in the destination.
	Value *string `json:"value,omitempty"`
}

// Rewrite is one "rewrites" entry.
type Rewrite struct {
	Source      string         `json:"source"`
	Destination string         `json:"destination"`
	Has         []Has          `json:"has,omitempty"`
	Missing     []Has          `json:"missing,omitempty"`
	Range       runtimes.Range `json:"range"`
	// StatusCode overrides the status of the rewritten response; 0 when
	// unset (keep the destination's status).
	StatusCode int `json:"statusCode,omitempty"`
}

// Redirect is one "redirects" entry. StatusCode wins over Permanent; the
// default is 308 when Permanent is true or unset, 307 when false.
type Redirect struct {
	Source      string         `json:"source"`
	Destination string         `json:"destination"`
	Permanent   *bool          `json:"permanent,omitempty"`
	StatusCode  int            `json:"statusCode,omitempty"`
	Has         []Has          `json:"has,omitempty"`
	Missing     []Has          `json:"missing,omitempty"`
	Range       runtimes.Range `json:"range"`
}

// Header is one key/value of a HeaderRule.
type Header struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// HeaderRule is one "headers" entry.
type HeaderRule struct {
	Source  string         `json:"source"`
	Headers []Header       `json:"headers"`
	Has     []Has          `json:"has,omitempty"`
	Missing []Has          `json:"missing,omitempty"`
	Range   runtimes.Range `json:"range"`
}

// LegacyRoute is one legacy "routes" entry (also the Build Output API route
// shape). Either Handle is set (a phase marker such as "filesystem") or Src.
type LegacyRoute struct {
	Src      string            `json:"src,omitempty"`
	Dest     string            `json:"dest,omitempty"`
	Headers  map[string]string `json:"headers,omitempty"`
	Status   int               `json:"status,omitempty"`
	Methods  []string          `json:"methods,omitempty"`
	Continue bool              `json:"continue,omitempty"`
	Check    bool              `json:"check,omitempty"`
	Handle   string            `json:"handle,omitempty"`
	Has      []Has             `json:"has,omitempty"`
	Missing  []Has             `json:"missing,omitempty"`
	Range    runtimes.Range    `json:"range"`
}
