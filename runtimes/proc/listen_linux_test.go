package proc

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Lines as Linux 6.x prints them (columns after the inode trimmed in the
// second table).
const (
	procNetTCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1F99 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 40211 1 0000000000000000 100 0 0 10 0
   1: 00000000:0BB8 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 40212 1 0000000000000000 100 0 0 10 0
   2: 0100007F:1F99 0100007F:D2F0 01 00000000:00000000 00:00000000 00000000     0        0 40299 1 0000000000000000 20 4 30 10 -1
`
	procNetTCP6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000001000000:1F90 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 50001 1
   1: 0000000000000000FFFF00000100007F:2328 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 50002 1
   2: 00000000000000000000000000000000:0050 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 50003 1
`
)

func TestParseListeners(t *testing.T) {
	for _, tc := range []struct {
		name, table string
		want        []tcpListener
	}{
		{"tcp", procNetTCP, []tcpListener{
			{netip.MustParseAddrPort("127.0.0.1:8089"), 40211},
			{netip.MustParseAddrPort("0.0.0.0:3000"), 40212},
			// line 2 is an established connection: not listed
		}},
		{"tcp6", procNetTCP6, []tcpListener{
			{netip.MustParseAddrPort("[::1]:8080"), 50001},
			{netip.MustParseAddrPort("127.0.0.1:9000"), 50002}, // ::ffff:127.0.0.1, unmapped
			{netip.MustParseAddrPort("[::]:80"), 50003},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseListeners(strings.NewReader(tc.table))
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Errorf("listener %d = %v, want %v", i, got[i], tc.want[i])
				}
			}
		})
	}
	for _, bad := range []string{
		"header\n   0: 0100007F:1F99 00000000:0000 0A\n",                     // too few fields
		"header\n   0: 0100007F 00000000:0000 0A 0:0 0:0 0 0 0 1\n",          // no port
		"header\n   0: 01007F:1F99 00000000:0000 0A 0:0 0:0 0 0 0 1\n",       // 6 hex digits
		"header\n   0: 0100007F:1F99 00000000:0000 0A 0:0 0:0 0 0 0 inode\n", // inode
		"header\n   0: 0100007F:1FFFF 00000000:0000 0A 0:0 0:0 0 0 0 1\n",    // port > 65535
	} {
		if got, err := parseListeners(strings.NewReader(bad)); err == nil {
			t.Errorf("parseListeners(%q) = %v, want an error", bad, got)
		}
	}
}

func FuzzParseListeners(f *testing.F) {
	f.Add(procNetTCP)
	f.Add(procNetTCP6)
	f.Fuzz(func(t *testing.T, table string) {
		ls, err := parseListeners(strings.NewReader(table))
		if err != nil {
			return
		}
		for _, l := range ls {
			if !l.addr.IsValid() || l.addr.Addr().Is4In6() {
				t.Errorf("listener %v: invalid or still mapped", l)
			}
		}
	})
}

// The real table of this machine holds a listener the test opens.
func TestGroupListenersSeesAChildsListener(t *testing.T) {
	p, err := startChild(t, "fd3", Config{})
	if err != nil {
		t.Fatal(err)
	}
	addrs, err := groupListeners(p.PID())
	if err != nil {
		t.Fatal(err)
	}
	want := netip.MustParseAddrPort(p.Addr())
	if len(addrs) != 1 || addrs[0] != want {
		t.Fatalf("groupListeners = %v, want [%v]", addrs, want)
	}
	if own, err := groupListeners(os.Getpid() + 1<<22); err != nil || len(own) != 0 {
		t.Errorf("groupListeners(no such group) = %v, %v; want none", own, err)
	}
}

// A server that listens on another port than PORT is warned about after
// wrongPortGrace, and its start fails at ReadyTimeout with that port
// named.
func TestStartReportsAServerListeningElsewhere(t *testing.T) {
	t.Parallel()
	var warned warnings
	_, err := startChild(t, "elsewhere", Config{Port: PortEnv, ReadyTimeout: wrongPortGrace + 2*time.Second, GracePeriod: 100 * time.Millisecond, Logger: slog.New(&warned)})
	var se *StartError
	if !errors.As(err, &se) {
		t.Fatalf("err = %v, want a *StartError", err)
	}
	var wp *wrongPortError
	if !errors.As(se.Err, &wp) {
		t.Fatalf("Err = %v, want the other port named", se.Err)
	}
	m := regexp.MustCompile(`serving on (\d+)`).FindStringSubmatch(se.Stderr)
	if m == nil {
		t.Fatalf("Stderr = %q, want the child's port", se.Stderr)
	}
	want := "it listens on 127.0.0.1:" + m[1] + ", not on the port in the PORT environment variable (127.0.0.1:" + strconv.Itoa(wp.port) + " refused"
	if !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), `os.Getenv("PORT")`) {
		t.Errorf("Error() = %q, want it to contain %q and the fix", err, want)
	}
	if w := warned.all(); len(w) != 1 || !strings.Contains(w[0], "child-elsewhere: "+want) || !strings.HasSuffix(w[0], "still waiting for it") {
		t.Errorf("warnings = %q, want one naming the port, while waiting", w)
	}
}

// Another listener opened before PORT's is no failure, even when PORT's
// comes only after the warning.
func TestStartWaitsForASlowPORTAfterAnotherListener(t *testing.T) {
	t.Parallel()
	var warned warnings
	p, err := startChild(t, "elsewhere-slow", Config{Port: PortEnv, Logger: slog.New(&warned)})
	if err != nil {
		t.Fatal(err)
	}
	if got := get(t, p.Addr(), "/"); got != "hello from env" {
		t.Errorf("GET / = %q", got)
	}
	if w := warned.all(); len(w) != 1 {
		t.Errorf("warnings = %q, want the one given while PORT was not open yet", w)
	}
}

// warnings is a slog.Handler that keeps the messages of warnings.
type warnings struct {
	mu   sync.Mutex
	msgs []string
}

func (w *warnings) Enabled(context.Context, slog.Level) bool { return true }
func (w *warnings) WithAttrs([]slog.Attr) slog.Handler       { return w }
func (w *warnings) WithGroup(string) slog.Handler            { return w }

func (w *warnings) Handle(_ context.Context, r slog.Record) error {
	if r.Level >= slog.LevelWarn {
		w.mu.Lock()
		w.msgs = append(w.msgs, r.Message)
		w.mu.Unlock()
	}
	return nil
}

func (w *warnings) all() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.msgs)
}

// Another listener opened before PORT's is no failure.
func TestStartWaitsForPORTAfterAnotherListener(t *testing.T) {
	t.Parallel()
	p, err := startChild(t, "elsewhere-first", Config{Port: PortEnv})
	if err != nil {
		t.Fatal(err)
	}
	if got := get(t, p.Addr(), "/"); got != "hello from env" {
		t.Errorf("GET / = %q", got)
	}
}

// A server on PORT but on ::1 only is not told that it listens on
// another port.
func TestStartReportsPORTOnAnotherAddress(t *testing.T) {
	t.Parallel()
	if l, err := net.Listen("tcp6", "[::1]:0"); err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	} else {
		l.Close()
	}
	_, err := startChild(t, "env-ipv6-loopback", Config{Port: PortEnv, ReadyTimeout: wrongPortGrace + 2*time.Second, GracePeriod: 100 * time.Millisecond})
	var wp *wrongPortError
	if !errors.As(err, &wp) {
		t.Fatalf("err = %v, want a *wrongPortError", err)
	}
	if strings.Contains(err.Error(), "not on the port") || !strings.Contains(err.Error(), "does not reach") {
		t.Errorf("Error() = %q, which says it is not on PORT", err)
	}
}

// lateDone is a context whose deadline has passed before its Done channel
// is seen: pollDial's state when its select picks the ticker over a Done
// that closed at the same time (both ready: a random pick), or when the
// deadline passes between the ticker waking it and its dial.
type lateDone struct {
	context.Context
	deadline time.Time
	done     chan struct{}
}

func (c *lateDone) Deadline() (time.Time, bool) { return c.deadline, true }
func (c *lateDone) Done() <-chan struct{}       { return c.done }
func (c *lateDone) Err() error {
	if time.Now().Before(c.deadline) {
		return nil
	}
	return context.DeadlineExceeded
}

// A dial made after the ready deadline fails with the deadline's timeout:
// it says nothing about PORT, and must not replace the finding that PORT
// refused connections, which the StartError at the deadline reports.
func TestElsewhereKeepsTheRefusalPastTheDeadline(t *testing.T) {
	t.Parallel()
	p, err := startChild(t, "fd3", Config{}) // listens on another port, in its own group
	if err != nil {
		t.Fatal(err)
	}
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	w := &portWaiter{mode: PortEnv, envPort: port, pgid: p.PID()}
	ctx := &lateDone{Context: context.Background(), deadline: time.Now().Add(1500 * time.Millisecond), done: make(chan struct{})}
	time.AfterFunc(2*time.Second, func() { close(ctx.done) })
	if res := w.pollDial(ctx); res.err == nil {
		t.Fatalf("pollDial = port %d, want an error", res.port)
	}
	if w.elsewhere == nil {
		t.Fatal("no wrong-port finding")
	}
	if msg := w.elsewhere.Error(); !strings.Contains(msg, strconv.Itoa(port)+" refused connections") {
		t.Errorf("finding = %q, want PORT's refusal, not the deadline's dial error", msg)
	}
}
