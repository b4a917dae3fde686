//go:build !linux

package buildsys

import "errors"

// exchange is not available outside Linux; replaceDir falls back to two
// renames.
func exchange(a, b string) error { return errors.ErrUnsupported }
