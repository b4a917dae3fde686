package python

import (
	"fmt"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/BurntSushi/toml"
)

// pylockFile is the PEP 751 lock file a build is frozen to when the
// project has pyproject.toml and no uv.lock (Vercel's order: uv.lock, then
// pylock.toml).
const pylockFile = "pylock.toml"

// packageNameRE is a valid distribution name (PEP 508).
var packageNameRE = regexp.MustCompile(`^(?i)[a-z0-9]([a-z0-9._-]*[a-z0-9])?$`)

// hashAlgorithms are the pylock.toml hash algorithms pip and uv check.
var hashAlgorithms = []string{"sha256", "sha384", "sha512"}

// pylockRequirements turns a pylock.toml into requirement lines that
// install exactly the locked set with --no-deps, each with the package's
// environment marker (evaluated by the installer: for the Lambda target
// by uv, for the Python that runs it by pip, see installer.exactFor):
//
//   - a package from an index: name==version; the indexes other than
//     PyPI that packages name (index = "...") come first, as
//     --extra-index-url lines, so that a private package is looked up
//     where it was locked from;
//   - from a VCS: name @ git+URL@commit;
//   - from an archive: name @ URL (or file:// for a path);
//   - from a directory: name @ file:// of it, except the project itself
//     (path "."), which is the function's source, not a dependency.
//
// When every line has hashes in the lock (its wheels' and sdist's for an
// index package, the archive's), the lines carry them as --hash options
// and the installer checks every file it installs against them; hashed
// reports that. A VCS checkout or a directory has no hash, and pip and uv
// check all requirements or none, so a lock with one installs unchecked.
//
// dir (the lock's directory) resolves relative paths. A package that names no source and no
// version cannot be installed frozen, and is an error naming it.
func pylockRequirements(b []byte, dir string) (reqs []string, hashed bool, err error) {
	var lock struct {
		LockVersion string `toml:"lock-version"`
		Packages    []struct {
			Name      string `toml:"name"`
			Version   string `toml:"version"`
			Marker    string `toml:"marker"`
			Index     string `toml:"index"`
			Directory *struct {
				Path string `toml:"path"`
			} `toml:"directory"`
			VCS *struct {
				Type     string `toml:"type"`
				URL      string `toml:"url"`
				Path     string `toml:"path"`
				CommitID string `toml:"commit-id"`
			} `toml:"vcs"`
			Archive *struct {
				URL    string            `toml:"url"`
				Path   string            `toml:"path"`
				Hashes map[string]string `toml:"hashes"`
			} `toml:"archive"`
			Sdist *struct {
				Hashes map[string]string `toml:"hashes"`
			} `toml:"sdist"`
			Wheels []struct {
				Hashes map[string]string `toml:"hashes"`
			} `toml:"wheels"`
		} `toml:"packages"`
	}
	if _, err := toml.Decode(string(b), &lock); err != nil {
		return nil, false, fmt.Errorf("reading %s: %w", pylockFile, err)
	}
	if major, _, _ := strings.Cut(lock.LockVersion, "."); major != "1" {
		return nil, false, fmt.Errorf("reading %s: lock-version %q is not supported (want 1.x)", pylockFile, lock.LockVersion)
	}
	fileURL := func(p string) string {
		if !filepath.IsAbs(p) {
			p = filepath.Join(dir, filepath.FromSlash(p))
		}
		return (&url.URL{Scheme: "file", Path: filepath.ToSlash(p)}).String()
	}
	var hashes [][]string // of each line
	var indexes indexOptions
	for i, p := range lock.Packages {
		if p.Name == "" {
			return nil, false, fmt.Errorf("reading %s: packages[%d] has no name", pylockFile, i)
		}
		if !packageNameRE.MatchString(p.Name) {
			return nil, false, fmt.Errorf("reading %s: packages[%d] has the name %q, which is not a package name", pylockFile, i, p.Name)
		}
		incomplete := func(kind, lacks string) error {
			return fmt.Errorf("reading %s: package %s: its %s source lacks %s", pylockFile, p.Name, kind, lacks)
		}
		var req string
		var files []map[string]string // the hashes of what the line installs
		switch {
		case p.VCS != nil:
			if p.VCS.Type == "" || p.VCS.CommitID == "" || p.VCS.URL == "" && p.VCS.Path == "" {
				return nil, false, incomplete("vcs", "a type, a url or path, or a commit-id")
			}
			loc := p.VCS.URL
			if loc == "" {
				loc = fileURL(p.VCS.Path)
			}
			req = fmt.Sprintf("%s @ %s+%s@%s", p.Name, p.VCS.Type, loc, p.VCS.CommitID)
		case p.Archive != nil:
			if p.Archive.URL == "" && p.Archive.Path == "" {
				return nil, false, incomplete("archive", "a url or path")
			}
			loc := p.Archive.URL
			if loc == "" {
				loc = fileURL(p.Archive.Path)
			}
			req = p.Name + " @ " + loc
			files = append(files, p.Archive.Hashes)
		case p.Directory != nil:
			if p.Directory.Path == "" {
				return nil, false, incomplete("directory", "a path")
			}
			if filepath.Clean(filepath.FromSlash(p.Directory.Path)) == "." {
				continue // the project itself
			}
			req = p.Name + " @ " + fileURL(p.Directory.Path)
		case p.Version != "":
			req = p.Name + "==" + p.Version
			indexes.addExtra(p.Index)
			for _, w := range p.Wheels {
				files = append(files, w.Hashes)
			}
			if p.Sdist != nil {
				files = append(files, p.Sdist.Hashes)
			}
		default:
			return nil, false, fmt.Errorf("reading %s: package %s has neither a version nor a source to install it from", pylockFile, p.Name)
		}
		if p.Marker != "" {
			req += " ; " + p.Marker
		}
		reqs = append(reqs, req)
		hashes = append(hashes, hashOptions(files))
	}
	hashed = len(reqs) > 0
	for _, h := range hashes {
		hashed = hashed && len(h) > 0
	}
	if hashed {
		for i := range reqs {
			reqs[i] += " " + strings.Join(hashes[i], " ")
		}
	}
	return append(indexes.lines(), reqs...), hashed, nil
}

// hashOptions returns the --hash options of files, each file's in the
// order of hashAlgorithms; nil when a file has no hash the installers
// know (the line then cannot be checked).
func hashOptions(files []map[string]string) []string {
	var opts []string
	for _, f := range files {
		n := len(opts)
		for _, alg := range hashAlgorithms {
			if v := f[alg]; v != "" {
				opts = append(opts, "--hash="+alg+":"+v)
			}
		}
		if len(opts) == n {
			return nil
		}
	}
	return opts
}
