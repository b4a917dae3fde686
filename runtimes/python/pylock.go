package python

import (
	"fmt"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/BurntSushi/toml"
)

// pylockFile is the PEP 751 lock file a build is frozen to when the
// project has pyproject.toml and no uv.lock (Vercel's order: uv.lock, then
// pylock.toml).
const pylockFile = "pylock.toml"

// pylockRequirements turns a pylock.toml into requirement lines that
// install exactly the locked set with --no-deps, each with the package's
// environment marker (evaluated by the installer for the Lambda target):
//
//   - a package from an index: name==version;
//   - from a VCS: name @ git+URL@commit;
//   - from an archive: name @ URL (or file:// for a path);
//   - from a directory: name @ file:// of it, except the project itself
//     (path "."), which is the function's source, not a dependency.
//
// root resolves relative paths. A package that names no source and no
// version cannot be installed frozen, and is an error naming it.
func pylockRequirements(b []byte, root string) ([]string, error) {
	var lock struct {
		LockVersion string `toml:"lock-version"`
		Packages    []struct {
			Name      string `toml:"name"`
			Version   string `toml:"version"`
			Marker    string `toml:"marker"`
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
				URL  string `toml:"url"`
				Path string `toml:"path"`
			} `toml:"archive"`
		} `toml:"packages"`
	}
	if _, err := toml.Decode(string(b), &lock); err != nil {
		return nil, fmt.Errorf("reading %s: %w", pylockFile, err)
	}
	if major, _, _ := strings.Cut(lock.LockVersion, "."); major != "1" {
		return nil, fmt.Errorf("reading %s: lock-version %q is not supported (want 1.x)", pylockFile, lock.LockVersion)
	}
	fileURL := func(p string) string {
		if !filepath.IsAbs(p) {
			p = filepath.Join(root, filepath.FromSlash(p))
		}
		return (&url.URL{Scheme: "file", Path: filepath.ToSlash(p)}).String()
	}
	var reqs []string
	for i, p := range lock.Packages {
		if p.Name == "" {
			return nil, fmt.Errorf("reading %s: packages[%d] has no name", pylockFile, i)
		}
		var req string
		switch {
		case p.VCS != nil:
			loc := p.VCS.URL
			if loc == "" {
				loc = fileURL(p.VCS.Path)
			}
			req = fmt.Sprintf("%s @ %s+%s@%s", p.Name, p.VCS.Type, loc, p.VCS.CommitID)
		case p.Archive != nil:
			loc := p.Archive.URL
			if loc == "" {
				loc = fileURL(p.Archive.Path)
			}
			req = p.Name + " @ " + loc
		case p.Directory != nil:
			if filepath.Clean(filepath.FromSlash(p.Directory.Path)) == "." {
				continue // the project itself
			}
			req = p.Name + " @ " + fileURL(p.Directory.Path)
		case p.Version != "":
			req = p.Name + "==" + p.Version
		default:
			return nil, fmt.Errorf("reading %s: package %s has neither a version nor a source to install it from", pylockFile, p.Name)
		}
		if p.Marker != "" {
			req += " ; " + p.Marker
		}
		reqs = append(reqs, req)
	}
	return reqs, nil
}
