//go:build unix

package proc

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"testing"
	"time"
)

// childEnv switches the test binary into one of the child behaviours below
// (TestMain checks it before running any test).
const childEnv = "PROC_TEST_CHILD"

func TestMain(m *testing.M) {
	if mode := os.Getenv(childEnv); mode != "" {
		os.Exit(runChild(mode))
	}
	os.Exit(m.Run())
}

// runChild is the body of the helper child processes.
func runChild(mode string) int {
	switch mode {
	case "exit":
		for i := range 50 {
			fmt.Fprintf(os.Stderr, "line %d\n", i)
		}
		return 2
	case "silent":
		fmt.Fprintln(os.Stderr, "starting up")
		time.Sleep(time.Hour) // a child that never reports; the parent kills it
		return 0
	case "sleep-ignoring-sigint":
		signal.Ignore(os.Interrupt)
		time.Sleep(time.Hour)
		return 0
	case "garbage-fd3":
		f := os.NewFile(3, "port")
		f.WriteString("hello\n")
		f.Close()
		time.Sleep(time.Hour)
		return 0
	}

	if mode == "elsewhere-first" || mode == "elsewhere-slow" {
		// Another listener (metrics, say), then PORT's a little later.
		extra, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer extra.Close()
		if mode == "elsewhere-slow" {
			time.Sleep(wrongPortGrace + time.Second) // past the warning
		} else {
			time.Sleep(500 * time.Millisecond)
		}
		mode = "env"
	}
	if mode == "env-ipv6-loopback" {
		// PORT, but on ::1 only (Node's listen(PORT, "localhost") where
		// localhost resolves to ::1 first).
		l, err := net.Listen("tcp6", "[::1]:"+os.Getenv("PORT"))
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		fmt.Fprintln(os.Stderr, "serving on", l.Addr())
		http.Serve(l, http.NotFoundHandler())
		return 0
	}
	var l net.Listener
	var err error
	if mode == "env" {
		l, err = net.Listen("tcp", "127.0.0.1:"+os.Getenv("PORT"))
	} else {
		l, err = net.Listen("tcp", "127.0.0.1:0")
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, "hello from "+mode) })

	if mode == "ignoreint" {
		signal.Ignore(os.Interrupt) // before reporting the port
	}
	if mode == "fd4" {
		f := os.NewFile(4, "extra")
		f.WriteString("hello on fd 4\n")
		f.Close()
	}
	switch mode {
	case "fd3", "ignoreint", "grandchild", "fd4":
		f := os.NewFile(3, "port")
		f.WriteString(port + "\n")
		f.Close()
	case "fd3-bare":
		f := os.NewFile(3, "port")
		f.WriteString(port)
		f.Close()
	case "file":
		if os.Getenv(PortFileEnv) != os.Getenv(VercelPortFileEnv) {
			fmt.Fprintln(os.Stderr, "port file variables differ")
			return 1
		}
		// Write and rename, as the package doc recommends.
		tmp := os.Getenv(PortFileEnv) + ".tmp"
		if err := os.WriteFile(tmp, []byte(port), 0o600); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		if err := os.Rename(tmp, os.Getenv(PortFileEnv)); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	switch mode {
	case "grandchild":
		self, _ := os.Executable()
		gc := exec.Command(self)
		gc.Env = append(os.Environ(), childEnv+"=sleep-ignoring-sigint")
		gc.Stderr = os.Stderr // holds the parent's stderr pipe open
		if err := gc.Start(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		gpid := gc.Process.Pid
		mux.HandleFunc("/pid", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, gpid) })
	}
	fmt.Fprintln(os.Stderr, "serving on", port)
	http.Serve(l, mux)
	return 0
}
