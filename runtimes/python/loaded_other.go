//go:build !unix

package python

import (
	"errors"
	"os"
)

// newControl: children inherit no descriptors here (proc passes no
// ExtraFiles), so every change to a .py file restarts the process.
func newControl() (*control, *os.File, error) {
	return nil, nil, errors.New("no control socket on this platform")
}
