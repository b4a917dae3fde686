package python

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
)

// lambdaSizeLimit is AWS Lambda's limit on a function's unzipped size
// (the deployment package and its layers): 250 MB, 262,144,000 bytes.
const lambdaSizeLimit = 250 << 20

// sizeReportEntries is how many of the largest items a size error lists.
const sizeReportEntries = 10

// sizeItem is one top-level entry of a .func (or of its _vendor) and its
// total size.
type sizeItem struct {
	name string
	size int64
}

// funcSize walks a .func directory and returns its total size, the sizes of
// the top-level entries of _vendor (the dependencies, dist-info metadata
// folded into its package) and the size of everything else (the project's
// files).
func funcSize(dir string) (total int64, vendor []sizeItem, project int64, err error) {
	byName := map[string]int64{}
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		n := info.Size()
		total += n
		rel, _ := filepath.Rel(dir, p)
		parts := strings.SplitN(filepath.ToSlash(rel), "/", 3)
		if len(parts) >= 2 && parts[0] == vendorDir {
			byName[vendorItemName(parts[1])] += n
		} else {
			project += n
		}
		return nil
	})
	if err != nil {
		return 0, nil, 0, fmt.Errorf("measuring %s: %w", dir, err)
	}
	for name, n := range byName {
		vendor = append(vendor, sizeItem{name, n})
	}
	slices.SortFunc(vendor, func(a, b sizeItem) int {
		return cmp.Or(cmp.Compare(b.size, a.size), strings.Compare(a.name, b.name))
	})
	return total, vendor, project, nil
}

// vendorItemName groups "numpy-2.1.0.dist-info" and "numpy.libs" with
// "numpy", and "six.py" with "six".
func vendorItemName(name string) string {
	if base, ok := strings.CutSuffix(name, ".dist-info"); ok {
		name, _, _ = strings.Cut(base, "-")
	}
	name = strings.TrimSuffix(name, ".libs")
	name = strings.TrimSuffix(name, ".py")
	return strings.ToLower(strings.ReplaceAll(name, "-", "_"))
}

// checkSize fails when a .func of the sizes funcSize measured is over
// limit bytes, naming the largest dependencies.
func checkSize(total int64, vendor []sizeItem, project, limit int64) error {
	if total <= limit {
		return nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "the function is %s unzipped, over AWS Lambda's %s limit", mb(total), mb(limit))
	if len(vendor) > 0 {
		b.WriteString("; largest dependencies: ")
		for i, it := range vendor[:min(len(vendor), sizeReportEntries)] {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "%s %s", it.name, mb(it.size))
		}
	}
	fmt.Fprintf(&b, "; project files: %s (add excludeFiles in vercel.json, or lines to .vercelignore, for what the function does not need)", mb(project))
	return fmt.Errorf("%w: %s", errTooLarge, b.String())
}

// errTooLarge is wrapped by checkSize's error.
var errTooLarge = errors.New("function too large")

// mb formats a size in (binary) megabytes, as AWS counts them.
func mb(n int64) string {
	return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
}
