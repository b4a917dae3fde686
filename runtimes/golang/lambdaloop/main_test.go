package lambdaloop

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"testing"
)

// envTestChild makes the test binary act as a user's server (see
// runTestChild) instead of running tests.
const envTestChild = "LAMBDALOOP_TEST_CHILD"

func TestMain(m *testing.M) {
	if mode := os.Getenv(envTestChild); mode != "" {
		os.Exit(runTestChild(mode))
	}
	os.Exit(m.Run())
}

// runTestChild is a stand-in for a user's standalone server:
//
//	serve  listens on 127.0.0.1:$PORT and echoes; /exit exits with status 3,
//	       /truncate sends 3 of the 100 bytes it announces and hangs up
//	exit   exits at once with status 7
//	silent never listens and waits to be killed
func runTestChild(mode string) int {
	switch mode {
	case "serve":
		l, err := net.Listen("tcp", "127.0.0.1:"+os.Getenv("PORT"))
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		http.Serve(l, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			switch r.URL.Path {
			case "/exit":
				os.Exit(3)
			case "/truncate":
				w.Header().Set("Content-Length", "100")
				io.WriteString(w, "abc")
				http.NewResponseController(w).Flush()
				panic(http.ErrAbortHandler)
			}
			fmt.Fprintf(w, "child %s %s host=%s xff=%s", r.Method, r.URL.RequestURI(), r.Host, r.Header.Get("X-Forwarded-For"))
		}))
		return 1
	case "exit":
		return 7
	case "silent":
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, os.Interrupt)
		<-sig
		return 0
	}
	return 2
}
