package benchkit

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"
)

// LoadAvg returns the 1, 5 and 15 minute load averages from /proc/loadavg,
// or "unknown" where the file does not exist. The programs print it
// beside their numbers: on a shared two-core machine it says how noisy a
// run was.
func LoadAvg() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(data))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// Machine describes the host: CPU count, CPU model (Linux only), Go
// version and platform.
func Machine(ctx context.Context) string {
	model := "unknown CPU"
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
		f.Close()
	}
	goVersion := runtime.Version()
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if out, err := exec.CommandContext(cctx, "go", "env", "GOVERSION").Output(); err == nil {
		goVersion = strings.TrimSpace(string(out))
	}
	return fmt.Sprintf("%d cores, %s, %s, %s/%s", runtime.NumCPU(), model, goVersion, runtime.GOOS, runtime.GOARCH)
}

// Header prints the first lines every program's report starts with: what
// ran (program is the command without its flags, e.g. "go run ./bench/dev"),
// when, where, and how loaded the machine was.
func Header(ctx context.Context, title, program string) {
	fmt.Printf("# %s\n\n", title)
	fmt.Printf("- date: %s\n", time.Now().UTC().Format("2006-01-02 15:04 MST"))
	fmt.Printf("- machine: %s\n", Machine(ctx))
	fmt.Printf("- load average at start: %s\n", LoadAvg())
	fmt.Printf("- command: %s\n\n", strings.Join(append([]string{program}, os.Args[1:]...), " "))
}
