package lambdatest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"
)

const (
	// RIEModule is the emulator's main package.
	RIEModule = "github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie"
	// RIEVersion is the pinned emulator version (a pseudo-version the Go
	// module proxy serves).
	RIEVersion = "v0.0.0-20261030222936-bef5c4ba774d"

	// rieBuildTimeout bounds `go install`: about 30 s with empty caches.
	rieBuildTimeout = 5 * time.Minute
)

// rieMemo remembers the binary once this process has found or built it.
var rieMemo struct {
	mu   sync.Mutex
	path string
}

// RIE returns the path of the pinned aws-lambda-rie binary, building it on
// first use with `go install` into
// <os.UserCacheDir()>/lambdalens/rie/<RIEVersion>/aws-lambda-rie. A lock file
// next to it keeps parallel test binaries from building it twice, and the
// binary is moved into place only once complete. It skips the test when not
// on Linux and fails it when the build fails.
func RIE(t testing.TB) string {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skipf("SKIPPING: the Lambda Runtime Interface Emulator runs on Linux only, not %s", runtime.GOOS)
	}
	ctx, cancel := context.WithTimeout(context.Background(), rieBuildTimeout)
	defer cancel()
	p, err := rieBinary(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func rieBinary(ctx context.Context) (string, error) {
	rieMemo.mu.Lock()
	defer rieMemo.mu.Unlock()
	if rieMemo.path != "" {
		return rieMemo.path, nil
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("finding the user cache directory for RIE: %w", err)
	}
	dir := filepath.Join(cache, "lambdalens", "rie", RIEVersion)
	bin := filepath.Join(dir, "aws-lambda-rie")
	if executable(bin) {
		rieMemo.path = bin
		return bin, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("creating the RIE cache directory: %w", err)
	}
	unlock, err := lockFile(ctx, filepath.Join(dir, ".lock"))
	if err != nil {
		return "", fmt.Errorf("locking the RIE cache directory %s: %w", dir, err)
	}
	defer unlock()
	if executable(bin) { // built by another process while we waited
		rieMemo.path = bin
		return bin, nil
	}
	if err := buildRIE(ctx, dir, bin); err != nil {
		return "", err
	}
	rieMemo.path = bin
	return bin, nil
}

// buildRIE runs `go install` into a temporary GOBIN inside dir and renames
// the result to bin.
func buildRIE(ctx context.Context, dir, bin string) error {
	goTool, err := exec.LookPath("go")
	if err != nil {
		return fmt.Errorf("building RIE: finding the go command: %w", err)
	}
	tmp, err := os.MkdirTemp(dir, "build-")
	if err != nil {
		return fmt.Errorf("building RIE: %w", err)
	}
	defer os.RemoveAll(tmp)
	cmd := exec.CommandContext(ctx, goTool, "install", RIEModule+"@"+RIEVersion)
	cmd.Dir = tmp
	// The user's GOFLAGS (-mod=vendor, say) are about their module, not
	// this one.
	cmd.Env = append(os.Environ(), "GOBIN="+tmp, "CGO_ENABLED=0", "GOFLAGS=", "GOWORK=off", "GOOS=", "GOARCH=")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("building RIE: go install %s@%s: %w\n%s", RIEModule, RIEVersion, err, out)
	}
	if err := os.Rename(filepath.Join(tmp, "aws-lambda-rie"), bin); err != nil {
		return fmt.Errorf("building RIE: moving the binary into the cache: %w", err)
	}
	return nil
}

func executable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Size() > 0 && fi.Mode().Perm()&0o111 != 0
}
