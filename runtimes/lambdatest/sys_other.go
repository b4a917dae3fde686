//go:build !linux

package lambdatest

import (
	"context"
	"os"
	"syscall"
)

// RIE runs on Linux only: RIE and Start skip before these are reached.

func lockFile(ctx context.Context, path string) (func(), error) { return func() {}, nil }

func rieSysProcAttr() *syscall.SysProcAttr { return nil }

func children(pid int) []int { return nil }

func descendants(pid int) []int { return nil }

func killGroupsBelow(pid int) {}

func alive(pid int) bool { return false }

func killProcess(pid int) {}

var sigTerm os.Signal = os.Kill
