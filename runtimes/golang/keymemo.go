package golang

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/lambdalens/lambdalens/runtimes"
	"github.com/lambdalens/lambdalens/runtimes/golang/lambdaloop"
)

// The key memo saves the go command on builds where nothing changed. The
// closure part of a cache key (what go/packages lists, the expensive part:
// one go env and one go list per function) is remembered together with
// the stat signature — size, modification and change times, inode — of
// every file and directory it was computed from: the files and directory
// listings of the user's packages in the closure, embedded files and the
// folders above them, every folder where a file would join an embed
// pattern (embedDirs), go.mod, go.sum, go.work and their absence in the
// folders above the module, the go binary and the go env file. The memo is
// named by everything else the closure depends on: the entry, the target,
// the flags, the GO* environment and the generated overlay. When every
// signature still matches, the remembered closure key is the one the go
// command would give, without running it; otherwise it is computed again.
//
// A file changed within racyWindow of a computation may change again
// without its signature changing (file times come from the kernel's
// coarse clock, or have seconds resolution on some file systems), so such
// a computation is not remembered. Closures with package errors are not
// remembered either: a missing package can appear where nothing is
// watched.
const memoVersion = "lambdalens-go-keymemo-2"

// racyWindow is how recent a change makes a computation unfit to remember
// (Runtime.racyWindow overrides it in tests).
const racyWindow = 2 * time.Second

// keyMemo is one remembered closure key, stored as JSON in
// <cache>/go/keys/<memo id>.json.
type keyMemo struct {
	Closure string    `json:"closure"`
	Stats   []pathSig `json:"stats"`
}

type pathSig struct {
	Path string  `json:"path"`
	Sig  fileSig `json:"sig"`
}

// fileSig is what stat says about a path; the zero value is "absent".
type fileSig struct {
	Exists bool   `json:"exists,omitempty"`
	Dir    bool   `json:"dir,omitempty"`
	Size   int64  `json:"size,omitempty"`
	Mtime  int64  `json:"mtime,omitempty"` // ns since the epoch
	Ctime  int64  `json:"ctime,omitempty"` // ns; 0 where the OS has none
	Ino    uint64 `json:"ino,omitempty"`
	Dev    uint64 `json:"dev,omitempty"`
}

// memoPath names the memo of a closure: a hash of everything besides the
// watched files that the closure key depends on.
func (r *Runtime) memoPath(req runtimes.BuildRequest, s buildSettings, plans []*plan) string {
	h := sha256.New()
	field := func(k string, v ...string) { fmt.Fprintf(h, "%s %q\n", k, v) }
	field("version", memoVersion, cacheKeyVersion, lambdaloop.Version)
	field("entry", req.Root, req.File, string(req.Entrypoint.Kind), req.Entrypoint.Symbol)
	field("go", r.goCmd())
	field("target", s.goos, s.arch)
	field("flags", s.flags...)
	env := slices.Clone(s.env)
	slices.Sort(env)
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "GO") || strings.HasPrefix(k, "CGO_") ||
			k == "PATH" || k == "HOME" || k == "XDG_CONFIG_HOME" {
			field("env", kv)
		}
	}
	for _, p := range plans {
		field("plan", p.pkg, p.t.modDir)
		hashOverlay(h, p.ov)
	}
	return filepath.Join(cacheDir(req.Root, req.CacheDir), "go", "keys", hex.EncodeToString(h.Sum(nil))[:32]+".json")
}

// hashOverlay writes the overlay's mapping and generated contents.
func hashOverlay(h hash.Hash, ov *overlay) {
	for _, virtual := range slices.Sorted(maps.Keys(ov.replace)) {
		actual := ov.replace[virtual]
		fmt.Fprintf(h, "overlay %q %q\n", virtual, actual)
		if content, ok := ov.files[actual]; ok {
			sum := sha256.Sum256(content)
			fmt.Fprintf(h, "content %x\n", sum)
		}
	}
}

// recall returns the remembered closure key at path when every signature
// still matches.
func recall(path string) (string, bool) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", false
	}
	var m keyMemo
	if json.Unmarshal(data, &m) != nil || m.Closure == "" {
		return "", false
	}
	for _, ps := range m.Stats {
		if statSig(ps.Path) != ps.Sig {
			return "", false
		}
	}
	return m.Closure, true
}

// remember stores a closure key computed from the paths, unless one of
// them changed after start-racyWindow.
func remember(path, closure string, paths []string, start time.Time, window time.Duration) error {
	limit := start.Add(-window).UnixNano()
	m := keyMemo{Closure: closure, Stats: make([]pathSig, 0, len(paths))}
	for _, p := range paths {
		sig := statSig(p)
		if sig.Mtime > limit || sig.Ctime > limit {
			return nil
		}
		m.Stats = append(m.Stats, pathSig{Path: p, Sig: sig})
	}
	data, err := json.Marshal(m)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".memo-*")
	if err != nil {
		return err
	}
	_, werr := tmp.Write(data)
	cerr := tmp.Close()
	if werr != nil || cerr != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("writing %s: %w", tmp.Name(), errors.Join(werr, cerr))
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return nil
}

// watchedPaths lists what a closure key depends on besides the memo's
// name, from what hashClosure read: see the comment at the top of this
// file.
func (r *Runtime) watchedPaths(p *plan, src closureSources) []string {
	var paths []string
	seen := map[string]bool{}
	add := func(path string) {
		if path != "" && !seen[path] {
			seen[path] = true
			paths = append(paths, path)
		}
	}
	for _, pkg := range src.local {
		dir := filepath.Clean(pkg.Dir)
		if pkg.Dir == "" {
			continue
		}
		if p.t.relocated && dir == p.t.compileDir {
			// The go command compiled the entry's folder from a virtual
			// one (its name is no import path): watch the real folder.
			dir = p.t.pkgDir
		}
		// The listing catches added and removed files, and every file of
		// the folder is watched, so that a file excluded by a build
		// constraint today cannot join the package unseen.
		add(dir)
		if entries, err := os.ReadDir(dir); err == nil {
			for _, e := range entries {
				if !e.IsDir() {
					add(filepath.Join(dir, e.Name()))
				}
			}
		}
		for _, f := range pkg.EmbedFiles {
			f = p.realPath(f)
			add(f)
			for d := filepath.Dir(f); len(d) > len(dir) && strings.HasPrefix(d, dir); d = filepath.Dir(d) {
				add(d)
			}
		}
		for _, d := range embedDirs(filepath.Clean(pkg.Dir), dir, pkg.EmbedPatterns) {
			add(d)
		}
	}
	for _, f := range src.pgo {
		add(p.realPath(f))
	}
	for _, f := range src.modFiles {
		add(f)
	}
	// A go.work created above the module changes the build (the folders
	// themselves change too often to be watched).
	for d := p.t.modDir; ; d = filepath.Dir(d) {
		add(filepath.Join(d, "go.work"))
		if filepath.Dir(d) == d {
			break
		}
	}
	if goBin, err := exec.LookPath(r.goCmd()); err == nil {
		add(goBin)
	}
	if f := goEnvFile(p.env); f != "" {
		add(f)
	}
	return paths
}

// embedDirs lists the folders under dir in which a new file could join
// one of the package's //go:embed patterns: the folders matching each
// leading part of a pattern (a wildcard there can match a new folder), and
// every folder at or under a folder the whole pattern matches (the go
// command embeds those recursively). A folder that holds no embedded file
// yet (empty, or holding only files a pattern without "all:" skips) is
// watched nowhere else. Files are not listed: those embedded already are,
// and a new one changes its folder. go/packages reports the patterns
// joined to listed, the folder the go command compiled; dir is that folder
// on disk.
func embedDirs(listed, dir string, patterns []string) []string {
	var out []string
	for _, pat := range patterns {
		rel, err := filepath.Rel(listed, pat)
		if err != nil || !filepath.IsLocal(rel) {
			continue
		}
		rel = strings.TrimPrefix(filepath.ToSlash(rel), "all:")
		elems := strings.Split(rel, "/")
		// Globbed inside dir, whose own name may hold glob characters.
		fsys := os.DirFS(dir)
		for i := range elems {
			matches, err := fs.Glob(fsys, strings.Join(elems[:i+1], "/"))
			if err != nil {
				break // a malformed pattern is a package error: nothing is remembered
			}
			for _, m := range matches {
				m = filepath.Join(dir, filepath.FromSlash(m))
				fi, err := os.Lstat(m)
				if err != nil || !fi.IsDir() {
					continue
				}
				if i < len(elems)-1 {
					out = append(out, m)
					continue
				}
				filepath.WalkDir(m, func(path string, d fs.DirEntry, err error) error {
					if err == nil && d.IsDir() {
						out = append(out, path)
					}
					return nil
				})
			}
		}
	}
	return out
}

// goEnvFile is the file go env -w writes, which can set GOFLAGS and more.
func goEnvFile(env []string) string {
	if v, ok := envValue(env, "GOENV"); ok {
		if v == "off" {
			return ""
		}
		return v
	}
	if v, ok := envValue(env, "XDG_CONFIG_HOME"); ok && v != "" {
		return filepath.Join(v, "go", "env")
	}
	if v, ok := envValue(env, "HOME"); ok && v != "" {
		return filepath.Join(v, ".config", "go", "env")
	}
	return ""
}
