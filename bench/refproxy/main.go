// Command refproxy is the reference the dev proxy is measured against: a
// bare httputil.ReverseProxy (Rewrite + SetURL, nothing else) in its own
// process, forwarding every request to one upstream. The targets
// are stated against it: with Go's default transport (2 idle connections
// per host) and with one that keeps as many idle connections as there are
// clients.
//
//	go run ./bench/refproxy -target http://127.0.0.1:PORT [-idle 256]
//
// It listens on 127.0.0.1:0 (or -listen), prints "listening on ADDR" and
// serves until interrupted. bench/dev starts it beside lambdalens dev.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	target := flag.String("target", "", "upstream base URL (http://127.0.0.1:PORT); required")
	listen := flag.String("listen", "127.0.0.1:0", "address to listen on (loopback only)")
	idle := flag.Int("idle", 0, "MaxIdleConnsPerHost of the transport (0: Go's default transport)")
	flag.Parse()
	if err := run(*target, *listen, *idle); err != nil {
		fmt.Fprintf(os.Stderr, "refproxy: %v\n", err)
		os.Exit(1)
	}
}

func run(target, listen string, idle int) error {
	u, err := url.Parse(target)
	if err != nil || u.Scheme != "http" || u.Host == "" {
		return fmt.Errorf("-target %q: want http://HOST:PORT", target)
	}
	if host, _, err := net.SplitHostPort(listen); err != nil || (host != "127.0.0.1" && host != "localhost") {
		return fmt.Errorf("-listen %q: want a 127.0.0.1 address", listen)
	}
	rp := &httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) { pr.SetURL(u) }}
	if idle > 0 {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConns, t.MaxIdleConnsPerHost = 4*idle, idle
		rp.Transport = t
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: rp, ReadHeaderTimeout: 30 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	fmt.Printf("listening on %s\n", ln.Addr())
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return err
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
