package config

import (
	"path"
	"strings"

	"github.com/bmatcuk/doublestar/v4"
	"github.com/lambdalens/lambdalens/runtimes"
)

// MatchFunction returns the first "functions" rule that applies to file, a
// slash path relative to the project root ("api/users/[id].go"), and its
// index in c.Functions; -1 and nil when none does. Like Vercel, a rule
// applies when its pattern equals the path or matches it as a glob, and the
// path is also tried without its extension ("api/hello" for
// "api/hello.py"), as Vercel matches both an entrypoint and its extensionless
// output path.
func (c *Config) MatchFunction(file string) (index int, rule *FunctionRule) {
	if c == nil {
		return -1, nil
	}
	bare := strings.TrimSuffix(file, path.Ext(file))
	for i := range c.Functions {
		r := &c.Functions[i]
		if r.Pattern == file || r.Pattern == bare || globMatch(r.Pattern, file) || (bare != file && globMatch(r.Pattern, bare)) {
			return i, r
		}
	}
	return -1, nil
}

// globMatch is doublestar.Match with an invalid pattern matching nothing
// (Parse has reported it already).
func globMatch(pattern, name string) bool {
	ok, err := doublestar.Match(pattern, name)
	return err == nil && ok
}

// Has reports whether vercel.json has the top-level key.
func (c *Config) Has(key string) bool {
	return c != nil && c.Root.Get(key) != nil
}

// KeyRange returns the range of the top-level key's name (quotes included);
// when the key appears more than once, that of the last one, whose value
// counts. It is the zero Range when the key is absent.
func (c *Config) KeyRange(key string) runtimes.Range {
	if c == nil {
		return runtimes.Range{}
	}
	if n := c.Root.Get(key); n != nil {
		return n.KeyRange
	}
	return runtimes.Range{}
}
