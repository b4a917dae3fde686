//go:build !unix

package benchkit

import (
	"errors"
	"os/exec"
)

var errNotUnix = errors.New("the benchmarks need a Unix system (process groups and signals)")

func setProcessGroup(*exec.Cmd) error { return errNotUnix }

func interruptGroup(int) error { return errNotUnix }

func killGroup(int) error { return errNotUnix }
