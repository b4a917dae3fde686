package proc

import (
	"bytes"
	"strings"
	"sync"
)

// maxLineBytes caps one stored line so that a child printing a huge line
// without newlines cannot grow the buffer without bound.
const maxLineBytes = 4096

// lineRing is an io.Writer that keeps the last n complete lines written to it
// plus the current unterminated one. It is safe for concurrent use.
type lineRing struct {
	mu      sync.Mutex
	n       int
	lines   []string // ring storage, len <= n
	next    int      // index of the slot to overwrite once full
	partial []byte
}

func newLineRing(n int) *lineRing { return &lineRing{n: n} }

func (r *lineRing) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	total := len(p)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			r.appendPartial(p)
			break
		}
		r.appendPartial(p[:i])
		r.push(strings.TrimSuffix(string(r.partial), "\r"))
		r.partial = r.partial[:0]
		p = p[i+1:]
	}
	return total, nil
}

func (r *lineRing) appendPartial(p []byte) {
	room := maxLineBytes - len(r.partial)
	if room <= 0 {
		return
	}
	if len(p) > room {
		p = p[:room]
	}
	r.partial = append(r.partial, p...)
}

func (r *lineRing) push(line string) {
	if r.n <= 0 {
		return
	}
	if len(r.lines) < r.n {
		r.lines = append(r.lines, line)
		return
	}
	r.lines[r.next] = line
	r.next = (r.next + 1) % r.n
}

// String returns the kept lines in order, newline-separated, without a
// trailing newline.
func (r *lineRing) String() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]string, 0, len(r.lines)+1)
	out = append(out, r.lines[r.next:]...)
	out = append(out, r.lines[:r.next]...)
	if len(r.partial) > 0 {
		out = append(out, string(r.partial))
	}
	return strings.Join(out, "\n")
}
