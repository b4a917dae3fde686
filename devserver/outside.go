package devserver

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/lambdalens/lambdalens/devserver/watch"
)

// maxOutsideDirs bounds the folders outside the project that are watched
// (see outsideWatch): each holds an inotify watch, of which a user has a
// few thousand by default, and a project's own tree needs its share.
const maxOutsideDirs = 1000

// outsideWatch keeps the folders outside the project root that functions'
// inputs name (a parent module in a monorepo, a replace directory, a
// go.work module) watched, so that an edit there rebuilds the functions
// that use it as an edit inside does. The tree watcher sees only the
// root. The folders are watched without their subfolders: inputs name
// folders. Their events go to the same reload path, with Event.Rel
// starting with "../"; functions match them by absolute path
// (inputSet.matches).
type outsideWatch struct {
	s *Server

	mu sync.Mutex
	// dirs owns the watches; nil until Start has made it. Closed by
	// Server.close, after which Set does nothing.
	dirs watch.Dirs
	// byFunc are the outside folders of each function's inputs.
	byFunc map[*function][]string
	// warned: the one warning that maxOutsideDirs was reached was given.
	warned bool
}

// start makes the watcher of outside folders: notifications, or polling
// when the tree watcher polls or notifications fail.
func (o *outsideWatch) start(polling bool) error {
	s := o.s
	var d watch.Dirs
	var err error
	if !polling {
		d, err = watch.NewDirs(s.ctx, s.root, ignoreWatch, s.reloads.enqueue, s.log)
	}
	if polling || err != nil {
		d, err = watch.NewPollDirs(s.ctx, s.root, ignoreWatch, s.reloads.enqueue, s.log, 0)
	}
	if err != nil {
		return err
	}
	o.mu.Lock()
	o.dirs = d
	o.mu.Unlock()
	return nil
}

// close stops the watches and waits for the watcher's goroutine.
func (o *outsideWatch) close() error {
	o.mu.Lock()
	d := o.dirs
	o.mu.Unlock()
	if d == nil {
		return nil
	}
	return d.Close()
}

// update records the outside folders of f's inputs (nil, or f removed:
// none) and watches the folders of every function.
func (o *outsideWatch) update(f *function, set *inputSet) {
	var dirs []string
	if set != nil {
		dirs = set.outside(o.s.root)
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	// Read under o.mu: a removal after this point updates (to nil) after
	// this update.
	f.mu.Lock()
	if f.removed {
		dirs = nil
	}
	f.mu.Unlock()
	if o.byFunc == nil {
		o.byFunc = map[*function][]string{}
	}
	if len(dirs) == 0 {
		if _, ok := o.byFunc[f]; !ok {
			return // nothing was watched for f, nothing is
		}
		delete(o.byFunc, f)
	} else {
		o.byFunc[f] = dirs
	}
	var all []string
	for _, ds := range o.byFunc {
		all = append(all, ds...)
	}
	slices.Sort(all)
	all = slices.Compact(all)
	if len(all) > maxOutsideDirs {
		if !o.warned {
			o.warned = true
			o.s.warn(fmt.Sprintf("the functions' code comes from %d folders outside the project; only %d are watched, "+
				"so edits in the others are not picked up until a restart", len(all), maxOutsideDirs))
		}
		all = all[:maxOutsideDirs]
	}
	if o.dirs != nil {
		o.dirs.Set(all)
	}
}

// outside lists the folders of the set that are not under root: its
// folders, the folders of its files, and the top of its trees.
func (set *inputSet) outside(root string) []string {
	var out []string
	add := func(d string) {
		if !inDir(d, root) {
			out = append(out, d)
		}
	}
	for d := range set.dirs {
		add(d)
	}
	for f := range set.files {
		add(filepath.Dir(f))
	}
	for _, t := range set.trees {
		add(t)
	}
	for _, t := range set.anyTrees {
		add(t)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// outsideRoot reports whether an event's Rel names a path outside the
// project root (an event of the outside watcher).
func outsideRoot(rel string) bool {
	return rel == ".." || strings.HasPrefix(rel, "../") || filepath.IsAbs(filepath.FromSlash(rel))
}
