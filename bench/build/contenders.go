package main

import (
	"bufio"
	"bytes"
	"context"
	"debug/elf"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/lambdalens/lambdalens/bench/internal/benchkit"
)

// contender is one build tool working on its own copy of the project.
type contender interface {
	name() string
	// run prepares the scenario (emptying caches, or editing the file
	// with tag) and times one build.
	run(ctx context.Context, scenario, tag string) (time.Duration, error)
	// sizes describes the bootstraps of the last build.
	sizes() (sizeReport, error)
	// note is a remark for the report (what the tool said it did).
	note() string
}

type sizeReport struct {
	count         int
	median, total int64
	funcTotal     int64
	static        string
}

// ---- lambdalens ----

type lambdalensBuild struct {
	bin, dir, cache string
	jobs            int
	edit            *benchkit.Editor
	// cached counts, per scenario, the functions restored from the cache
	// in its last run, as "cached/total".
	cached map[string]string
}

func newLambdalens(bin, src, work string, o options) (*lambdalensBuild, error) {
	dir := filepath.Join(work, "project")
	if err := benchkit.CopyTree(src, dir); err != nil {
		return nil, err
	}
	edit, err := benchkit.NewEditor(filepath.Join(dir, o.editFile), o.editMarker, false)
	if err != nil {
		return nil, err
	}
	return &lambdalensBuild{bin: bin, dir: dir, cache: filepath.Join(work, "cache"), jobs: o.jobs, edit: edit, cached: map[string]string{}}, nil
}

func (l *lambdalensBuild) name() string { return "lambdalens" }

func (l *lambdalensBuild) run(ctx context.Context, scenario, tag string) (time.Duration, error) {
	switch scenario {
	case "cold":
		benchkit.RemoveAll(l.cache)
		benchkit.RemoveAll(filepath.Join(l.dir, ".vercel"))
	case "warm":
		// Keep GOCACHE (go-build/) and GOMODCACHE (go-mod/); drop the
		// build cache and the runtime's scratch.
		benchkit.RemoveAll(filepath.Join(l.cache, "build"))
		benchkit.RemoveAll(filepath.Join(l.cache, "go"))
		benchkit.RemoveAll(filepath.Join(l.dir, ".vercel"))
	case "one file changed":
		if err := l.edit.Write(tag); err != nil {
			return 0, err
		}
	}
	args := []string{"build", l.dir, "--json", "--cache-dir", l.cache}
	if l.jobs > 0 {
		args = append(args, "--jobs", strconv.Itoa(l.jobs))
	}
	cmd := exec.CommandContext(ctx, l.bin, args...)
	var out bytes.Buffer
	cmd.Stdout = &out
	d, err := benchkit.Timed(cmd)
	if err != nil {
		return d, err
	}
	l.cached[scenario] = cachedCount(out.Bytes())
	return d, nil
}

// cachedCount reads the summary event of `lambdalens build --json`.
func cachedCount(out []byte) string {
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 0, 1<<20), 16<<20)
	var summary struct {
		Type      string `json:"type"`
		Functions []struct {
			Cached bool `json:"cached"`
		} `json:"functions"`
	}
	for sc.Scan() {
		if !bytes.HasPrefix(sc.Bytes(), []byte(`{"type":"summary"`)) {
			continue
		}
		if json.Unmarshal(sc.Bytes(), &summary) != nil {
			return "?"
		}
		n := 0
		for _, f := range summary.Functions {
			if f.Cached {
				n++
			}
		}
		return fmt.Sprintf("%d/%d", n, len(summary.Functions))
	}
	return "?"
}

func (l *lambdalensBuild) note() string {
	var parts []string
	for _, sc := range scenarios {
		if c, ok := l.cached[sc]; ok {
			parts = append(parts, sc+" "+c)
		}
	}
	return "functions restored from its cache (last run): " + strings.Join(parts, ", ")
}

func (l *lambdalensBuild) sizes() (sizeReport, error) {
	funcs := filepath.Join(l.dir, ".vercel", "output", "functions")
	var boots []string
	err := filepath.WalkDir(funcs, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && d.Name() == "bootstrap" {
			boots = append(boots, path)
		}
		return err
	})
	if err != nil {
		return sizeReport{}, err
	}
	return measure(boots, funcs)
}

// measure sizes the bootstraps and says whether they are statically
// linked (no ELF interpreter).
func measure(boots []string, funcs string) (sizeReport, error) {
	var r sizeReport
	var sizes []float64
	static, dynamic := 0, 0
	for _, b := range boots {
		st, err := os.Stat(b)
		if err != nil {
			return r, err
		}
		sizes = append(sizes, float64(st.Size()))
		r.total += st.Size()
		f, err := elf.Open(b)
		if err != nil {
			return r, fmt.Errorf("reading %s: %w", b, err)
		}
		interp := slices.ContainsFunc(f.Progs, func(p *elf.Prog) bool { return p.Type == elf.PT_INTERP })
		f.Close()
		if interp {
			dynamic++
		} else {
			static++
		}
	}
	r.count = len(boots)
	r.median = int64(benchkit.MedianFloat(sizes))
	switch {
	case dynamic == 0:
		r.static = "all static"
	case static == 0:
		r.static = "all dynamic"
	default:
		r.static = fmt.Sprintf("%d static, %d dynamic", static, dynamic)
	}
	if funcs != "" {
		total, _, err := benchkit.DirSize(funcs)
		if err != nil {
			return r, err
		}
		r.funcTotal = total
	}
	return r, nil
}
