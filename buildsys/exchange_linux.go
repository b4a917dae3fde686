package buildsys

import (
	"errors"
	"fmt"

	"golang.org/x/sys/unix"
)

// exchange atomically swaps the directories a and b (renameat2 with
// RENAME_EXCHANGE). It returns an error wrapping errors.ErrUnsupported when
// the kernel or file system cannot.
func exchange(a, b string) error {
	err := unix.Renameat2(unix.AT_FDCWD, a, unix.AT_FDCWD, b, unix.RENAME_EXCHANGE)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, unix.ENOSYS), errors.Is(err, unix.EINVAL):
		return fmt.Errorf("renameat2(RENAME_EXCHANGE): %w: %w", errors.ErrUnsupported, err)
	}
	return fmt.Errorf("renameat2(%s, %s, RENAME_EXCHANGE): %w", a, b, err)
}
