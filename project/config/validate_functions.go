package config

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/bmatcuk/doublestar/v4"
)

// Limits of the "functions" object, from Vercel's schema
// (@vercel/build-utils getFunctionsSchema) unless said otherwise.
const (
	maxFunctionPatterns = 50
	maxPatternLen       = 256
	minMemory           = 128
	maxMemory           = 10240
	maxConcurrencyLimit = 8192

	// maxDurationLimit is the largest "maxDuration" lambdalens accepts, in
	// seconds. Vercel's bound depends on the plan (the CLI checks up to
	// 3600 s and the platform enforces the plan's limit); we deliberately
	// use AWS Lambda's hard limit of 900 s instead, because the artifacts
	// lambdalens builds must also run on plain Lambda, where a longer
	// timeout cannot be configured.
	maxDurationLimit = 900
)

// functionProps are the properties a "functions" entry may have.
var functionProps = []string{
	"architecture", "runtime", "memory", "maxDuration", "affinity", "maxConcurrency", "regions",
	"functionFailoverRegions", "includeFiles", "excludeFiles", "experimentalTriggers", "supportsCancellation",
}

// runtimeRE is "name@x.y.z": an npm package name (maybe scoped) with an
// exact semantic version, which is what Vercel requires of "runtime".
var runtimeRE = regexp.MustCompile(`^(?:@[a-z0-9][a-z0-9._~-]*/)?[a-z0-9][a-z0-9._~-]*@(?:0|[1-9][0-9]*)\.(?:0|[1-9][0-9]*)\.(?:0|[1-9][0-9]*)(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$`)

// builtinRuntimes are the runtimes lambdalens implements, by package name.
var builtinRuntimes = []string{"@vercel/go", "@vercel/python"}

func (v *validator) functions(m *Node) {
	if !v.want(m, m.Key, Object) {
		return
	}
	if len(m.Children) == 0 {
		v.errorf(m.Range, "functions-empty", `"functions" is empty; add a pattern such as "api/*.go": {"memory": 1024}, or remove the key`)
		return
	}
	index := make(map[string]int, len(m.Children))
	for _, f := range m.Children {
		rule := v.functionRule(f)
		// JSON.parse keeps a repeated key at its first position with its
		// last value; match that.
		if i, dup := index[f.Key]; dup {
			v.cfg.Functions[i] = rule
			continue
		}
		index[f.Key] = len(v.cfg.Functions)
		v.cfg.Functions = append(v.cfg.Functions, rule)
	}
	if len(index) > maxFunctionPatterns {
		v.errorf(m.KeyRange, "functions-too-many",
			`"functions" has %d patterns; Vercel allows at most %d, merge some with globs such as "api/**/*.go"`, len(index), maxFunctionPatterns)
	}
}

func (v *validator) functionRule(f *Node) FunctionRule {
	pattern := f.Key
	label := memberLabel("functions", pattern)
	rule := FunctionRule{Pattern: pattern, PatternRange: f.KeyRange, Node: f}
	switch {
	case pattern == "":
		v.errorf(f.KeyRange, "function-pattern-length", `a "functions" pattern cannot be empty; write a path or glob such as "api/*.go"`)
	case len(pattern) > maxPatternLen:
		v.errorf(f.KeyRange, "function-pattern-length", `the "functions" pattern is %d characters long; the limit is %d`, len(pattern), maxPatternLen)
	case strings.HasPrefix(pattern, "/"):
		v.errorf(f.KeyRange, "function-pattern-slash",
			`"functions" pattern %q starts with "/"; patterns are relative to the project root, write %q`, pattern, strings.TrimLeft(pattern, "/"))
	case !doublestar.ValidatePattern(pattern):
		v.errorf(f.KeyRange, "function-pattern-glob", `"functions" pattern %q is not a valid glob; check its [brackets] and {braces}`, pattern)
	}
	if !v.want(f, label, Object) {
		return rule
	}
	if len(f.Children) == 0 {
		v.errorf(f.Range, "function-empty", `%s is empty; set at least one property such as "memory" or "maxDuration", or remove the pattern`, label)
		return rule
	}
	v.members(f, label, functionProps, func(p *Node, pl string) {
		switch p.Key {
		case "memory":
			rule.Memory, _ = v.intRange(p, pl, "function-memory", minMemory, maxMemory, "MB")
		case "maxDuration":
			rule.MaxDuration, rule.MaxDurationMax = v.maxDuration(p, pl)
		case "architecture":
			if s, ok := v.str(p, pl); ok {
				if s != "x86_64" && s != "arm64" {
					v.errorf(p.Range, "function-architecture", `%s must be "x86_64" or "arm64", got %q`, pl, shorten(s, 40))
				} else {
					rule.Architecture = s
				}
			}
		case "runtime":
			rule.Runtime = v.runtime(p, pl)
		case "includeFiles":
			rule.IncludeFiles = v.fileGlobs(p, pl)
		case "excludeFiles":
			rule.ExcludeFiles = v.fileGlobs(p, pl)
		case "regions":
			rule.Regions = v.strList(p, pl)
		case "functionFailoverRegions":
			rule.FunctionFailoverRegions = v.strList(p, pl)
		case "maxConcurrency":
			rule.MaxConcurrency, _ = v.intRange(p, pl, "function-max-concurrency", 1, maxConcurrencyLimit, "")
		case "supportsCancellation":
			rule.SupportsCancellation, _ = v.boolean(p, pl)
		case "experimentalTriggers":
			rule.ExperimentalTriggers = v.triggers(p, pl)
		case "affinity":
			rule.Affinity = v.affinity(p, pl)
		}
	})
	return rule
}

// maxDuration reads an integer number of seconds or "max".
func (v *validator) maxDuration(p *Node, label string) (seconds int, isMax bool) {
	what := fmt.Sprintf(`an integer number of seconds between 1 and %d, or "max"`, maxDurationLimit)
	switch p.Kind {
	case String:
		if p.Str == "max" {
			return 0, true
		}
		v.errorf(p.Range, "function-max-duration", "%s must be %s, got %s", label, what, describe(p))
		return 0, false
	case Number:
		i, ok := p.Int()
		switch {
		case !ok || i < 1:
			v.errorf(p.Range, "function-max-duration", "%s must be %s, got %s", label, what, p.Raw)
		case i > maxDurationLimit:
			v.errorf(p.Range, "function-max-duration",
				"%s is %s seconds; lambdalens caps it at %d, AWS Lambda's hard limit, so that the function also runs on plain Lambda (use \"max\" for the plan's maximum on Vercel)",
				label, p.Raw, maxDurationLimit)
		default:
			return int(i), false
		}
		return 0, false
	}
	v.errorf(p.Range, "invalid-type", "%s must be %s, got %s", label, what, describe(p))
	return 0, false
}

func (v *validator) runtime(p *Node, label string) string {
	s, ok := v.str(p, label)
	if !ok || !v.maxLen(p, label, "value-too-long", s, maxPatternLen) {
		return ""
	}
	if !runtimeRE.MatchString(s) {
		v.errorf(p.Range, "function-runtime-version",
			`%s must be an npm package name with an exact version, such as "vercel-php@0.7.3", got %q`, label, shorten(s, 60))
		return ""
	}
	name := s[:strings.LastIndexByte(s, '@')]
	if !slices.Contains(builtinRuntimes, name) {
		// Functions are found by extension and built by their language's
		// runtime whatever "runtime" says, so the value is not kept: the
		// model (and the editor's hover) would name a runtime that is not
		// used.
		v.warnf(p.Range, "function-runtime-unsupported",
			"community runtime %q is not supported by lambdalens, which ignores it: files of this pattern are built by their extension, .go with the Go runtime and .py with the Python runtime, and other files are not built (Vercel would build them all with %s)",
			name, name)
		return ""
	}
	return s
}

// fileGlobs reads "includeFiles"/"excludeFiles": Vercel takes one glob
// string; lambdalens also takes an array of them.
func (v *validator) fileGlobs(p *Node, label string) []string {
	var items []*Node
	switch p.Kind {
	case String:
		items = []*Node{p}
	case Array:
		items = p.Children
	default:
		v.errorf(p.Range, "invalid-type", "%s must be a glob string or an array of glob strings, got %s", label, describe(p))
		return nil
	}
	out := make([]string, 0, len(items))
	for i, it := range items {
		il := label
		if p.Kind == Array {
			il = indexLabel(label, i)
		}
		s, ok := v.str(it, il)
		if !ok || !v.maxLen(it, il, "function-files-length", s, maxPatternLen) {
			continue
		}
		if !doublestar.ValidatePattern(s) {
			v.errorf(it.Range, "function-files-glob", "%s: %q is not a valid glob; check its [brackets] and {braces}", il, shorten(s, 60))
			continue
		}
		out = append(out, s)
	}
	return out
}

// triggers checks "experimentalTriggers": queue and schedule triggers.
// lambdalens does not run them; they only matter on Vercel.
// triggers reads "experimentalTriggers". The result is nil when p is not
// an array, and leaves out entries that are not objects.
func (v *validator) triggers(p *Node, label string) []Trigger {
	if !v.want(p, label, Array) {
		return nil
	}
	types := []string{"queue/v1beta", "queue/v2beta", "schedule/v1beta"}
	props := []string{"type", "topic", "consumer", "maxDeliveries", "retryAfterSeconds", "initialDelaySeconds", "maxConcurrency"}
	out := []Trigger{}
	v2 := false
	for i, t := range p.Children {
		tl := indexLabel(label, i)
		if !v.want(t, tl, Object) {
			continue
		}
		v.require(t, tl, "type")
		var tr Trigger
		v.members(t, tl, props, func(m *Node, ml string) {
			switch m.Key {
			case "type":
				s, ok := v.str(m, ml)
				if ok && !slices.Contains(types, s) {
					v.errorf(m.Range, "function-trigger", "%s must be %s, got %q", ml, quoteList(types), shorten(s, 40))
					return
				}
				tr.Type = s
			case "topic":
				tr.Topic, _ = v.str(m, ml)
			case "consumer":
				tr.Consumer, _ = v.str(m, ml)
			default:
				if !v.want(m, ml, Number) {
					return
				}
				n := m.Num
				switch m.Key {
				case "maxDeliveries":
					tr.MaxDeliveries = &n
				case "retryAfterSeconds":
					tr.RetryAfterSeconds = &n
				case "initialDelaySeconds":
					tr.InitialDelaySeconds = &n
				case "maxConcurrency":
					tr.MaxConcurrency = &n
				}
			}
		})
		v2 = v2 || tr.Type == "queue/v2beta"
		out = append(out, tr)
	}
	// Vercel's build (getLambdaOptionsFromFunction) refuses this.
	if v2 && len(p.Children) > 1 {
		v.errorf(p.Range, "function-trigger", `%s can only have one item for "queue/v2beta"`, label)
	}
	return out
}

func (v *validator) affinity(p *Node, label string) *Affinity {
	if !v.want(p, label, Object) {
		return nil
	}
	v.require(p, label, "mode")
	var a *Affinity
	v.members(p, label, []string{"mode"}, func(m *Node, ml string) {
		if s, ok := v.str(m, ml); ok && s != "strict" {
			v.errorf(m.Range, "function-affinity", `%s must be "strict", got %q`, ml, shorten(s, 40))
		} else if ok {
			a = &Affinity{Mode: s}
		}
	})
	return a
}

// Limits of "builds", from Vercel's buildsSchema.
const (
	maxBuilds      = 128
	maxBuildSrcLen = 4096
)

// BuilderName is a build's "use" without its version: "@vercel/go" for
// "@vercel/go@3.1.0".
func BuilderName(use string) string {
	if i := strings.LastIndexByte(use, '@'); i > 0 {
		return use[:i]
	}
	return use
}

// builtinBuilders are the "use" values lambdalens builds (the @now names
// are the builders' names before Vercel's rename).
var builtinBuilders = []string{"@vercel/go", "@vercel/python", "@vercel/static", "@now/go", "@now/python", "@now/static"}

func (v *validator) builds(m *Node) {
	if !v.want(m, m.Key, Array) {
		return
	}
	v.maxEntries(m, "builds", maxBuilds)
	for i, b := range m.Children {
		label := indexLabel("builds", i)
		if !v.want(b, label, Object) {
			continue
		}
		build := Build{Range: b.Range}
		ok := v.require(b, label, "use")
		v.members(b, label, []string{"src", "use", "config"}, func(p *Node, pl string) {
			switch p.Key {
			case "src":
				// An entry whose src is reported here is dropped, as one
				// with a bad "use" is: kept with an empty Src, it would
				// also be warned about as matching no file.
				s, sok := v.str(p, pl)
				switch {
				case !sok:
					ok = false
				case s == "":
					v.errorf(p.Range, "build-src-glob", `%s cannot be empty; write a path or glob such as "api/*.go"`, pl)
					ok = false
				case !v.maxLen(p, pl, "value-too-long", s, maxBuildSrcLen):
					ok = false
				case !doublestar.ValidatePattern(s):
					v.errorf(p.Range, "build-src-glob", "%s: %q is not a valid glob; check its [brackets] and {braces}", pl, shorten(s, 60))
					ok = false
				default:
					build.Src = s
				}
			case "use":
				build.Use = v.builder(p, pl)
				ok = ok && build.Use != ""
			case "config":
				if v.want(p, pl, Object) {
					build.Config, _ = p.Value().(map[string]any)
				}
			}
		})
		if ok {
			v.cfg.Builds = append(v.cfg.Builds, build)
		}
	}
}

// builder checks a build's "use": "@vercel/go", "@vercel/python@4.1.0", ...
func (v *validator) builder(p *Node, label string) string {
	s, ok := v.str(p, label)
	if !ok {
		return ""
	}
	if len(s) < 3 {
		v.errorf(p.Range, "build-use", `%s must name a builder such as "@vercel/go", got %q`, label, s)
		return ""
	}
	if !v.maxLen(p, label, "value-too-long", s, maxPatternLen) {
		return ""
	}
	if !slices.Contains(builtinBuilders, BuilderName(s)) {
		v.warnf(p.Range, "build-use-unsupported",
			"builder %q is not supported by lambdalens; only @vercel/go, @vercel/python and @vercel/static builds are run", shorten(s, 60))
	}
	return s
}

func quoteList(items []string) string {
	q := make([]string, len(items))
	for i, s := range items {
		q[i] = fmt.Sprintf("%q", s)
	}
	if len(q) == 1 {
		return q[0]
	}
	return strings.Join(q[:len(q)-1], ", ") + " or " + q[len(q)-1]
}
