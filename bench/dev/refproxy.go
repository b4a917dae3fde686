package main

import (
	"bufio"
	"fmt"
	"os/exec"
	"strings"
	"time"

	"github.com/lambdalens/lambdalens/bench/internal/benchkit"
	"github.com/lambdalens/lambdalens/bench/internal/load"
)

// refProxy is a running bench/refproxy: the bare httputil.ReverseProxy the
// issue's proxy targets are stated against.
type refProxy struct {
	name string
	url  string // base URL, http://127.0.0.1:PORT
	proc *benchkit.Proc
}

// startRefProxy starts bin in front of target with the given idle
// connection limit (0: Go's default transport) and waits for its address.
func startRefProxy(bin, name, target string, idle int) (*refProxy, error) {
	cmd := exec.Command(bin, "-target", target, "-idle", fmt.Sprint(idle))
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	p, err := benchkit.Start(cmd)
	if err != nil {
		return nil, err
	}
	line := make(chan string, 1)
	go func() {
		s := bufio.NewScanner(stdout)
		if s.Scan() {
			line <- s.Text()
		}
		close(line)
		for s.Scan() { // drain until it exits
		}
	}()
	select {
	case l := <-line:
		if addr, ok := strings.CutPrefix(l, "listening on "); ok {
			return &refProxy{name: name, url: "http://" + addr, proc: p}, nil
		}
		err = fmt.Errorf("bench/refproxy printed %q", l)
	case <-time.After(30 * time.Second):
		err = fmt.Errorf("bench/refproxy did not listen within 30s")
	}
	_ = p.Stop(5 * time.Second)
	return nil, err
}

// refRow is one connection count of the reference comparison: each
// proxy's req/s ratio and added p50 against direct, from the same rounds.
type refRow struct {
	conns    int
	names    []string
	ratios   []float64
	addedP50 []time.Duration
}

func refRows(rows []load.Row, names []string) []refRow {
	var out []refRow
	for _, r := range rows {
		direct := load.Summarize(r.Results[0])
		rr := refRow{conns: r.Conns, names: names[1:]}
		for _, res := range r.Results[1:] {
			s := load.Summarize(res)
			rr.ratios = append(rr.ratios, s.RPS/direct.RPS)
			rr.addedP50 = append(rr.addedP50, s.P50-direct.P50)
		}
		out = append(out, rr)
	}
	return out
}
