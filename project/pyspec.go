package project

import (
	"fmt"
	"strconv"
	"strings"
)

// pySpec is a PEP 440 version specifier set, as written in
// requires-python (">=3.10,<3.13", "~=3.11", "==3.12.*"), restricted to
// release versions: enough to choose a Python minor version.
type pySpec []pyClause

type pyClause struct {
	op       string // ~= == != <= >= < > ===
	release  []int
	wildcard bool // "==3.12.*" and "!=3.8.*"
}

// parsePySpec parses a specifier set; an error says which clause is not
// understood.
func parsePySpec(s string) (pySpec, error) {
	var spec pySpec
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			return nil, fmt.Errorf("empty clause in %q", s)
		}
		var c pyClause
		for _, op := range []string{"===", "~=", "==", "!=", "<=", ">=", "<", ">"} {
			if strings.HasPrefix(part, op) {
				c.op, part = op, strings.TrimSpace(part[len(op):])
				break
			}
		}
		if c.op == "" {
			return nil, fmt.Errorf("%q has no comparison operator (>=, <, ==, ~= ...)", part)
		}
		if rest, ok := strings.CutSuffix(part, ".*"); ok && (c.op == "==" || c.op == "!=") {
			c.wildcard, part = true, rest
		}
		for _, f := range strings.Split(part, ".") {
			n, err := strconv.Atoi(f)
			if err != nil || n < 0 {
				return nil, fmt.Errorf("%q is not a release version such as 3.12", part)
			}
			c.release = append(c.release, n)
		}
		if c.op == "~=" && len(c.release) < 2 {
			return nil, fmt.Errorf("~=%s needs at least two version parts", part)
		}
		spec = append(spec, c)
	}
	return spec, nil
}

// allowsMinor reports whether some 3.minor.patch release satisfies every
// clause (patch levels up to 99).
func (s pySpec) allowsMinor(major, minor int) bool {
	for patch := 0; patch < 100; patch++ {
		if s.allows([]int{major, minor, patch}) {
			return true
		}
	}
	return false
}

func (s pySpec) allows(v []int) bool {
	for _, c := range s {
		if !c.allows(v) {
			return false
		}
	}
	return true
}

func (c pyClause) allows(v []int) bool {
	cmp := compareRelease(v, c.release)
	switch c.op {
	case "==", "===":
		if c.wildcard {
			return hasPrefix(v, c.release)
		}
		return cmp == 0
	case "!=":
		if c.wildcard {
			return !hasPrefix(v, c.release)
		}
		return cmp != 0
	case "<=":
		return cmp <= 0
	case ">=":
		return cmp >= 0
	case "<":
		return cmp < 0
	case ">":
		return cmp > 0
	case "~=":
		// ~=3.11.2 is >=3.11.2, ==3.11.*
		return cmp >= 0 && hasPrefix(v, c.release[:len(c.release)-1])
	}
	return false
}

// compareRelease compares release tuples, padding the shorter with zeros.
func compareRelease(a, b []int) int {
	for i := range max(len(a), len(b)) {
		x, y := 0, 0
		if i < len(a) {
			x = a[i]
		}
		if i < len(b) {
			y = b[i]
		}
		if x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	return 0
}

// hasPrefix reports whether v starts with prefix (zero-padded: 3.12 has
// the prefix 3.12.0).
func hasPrefix(v, prefix []int) bool {
	for i, p := range prefix {
		x := 0
		if i < len(v) {
			x = v[i]
		}
		if x != p {
			return false
		}
	}
	return true
}
