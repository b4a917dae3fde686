package proc

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// groupListeners returns the TCP addresses the processes of group pgid
// listen on, in no particular order: the socket descriptors found under
// /proc/<pid>/fd of every process whose group is pgid, matched against
// the listening sockets of /proc/net/tcp and /proc/net/tcp6. Processes
// that exit during the scan, or whose descriptors cannot be read, are
// skipped.
func groupListeners(pgid int) ([]netip.AddrPort, error) {
	inodes := map[uint64]bool{}
	procs, err := os.ReadDir("/proc")
	if err != nil {
		return nil, fmt.Errorf("listing processes: %w", err)
	}
	for _, e := range procs {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || processGroup(pid) != pgid {
			continue
		}
		fds, err := os.ReadDir(filepath.Join("/proc", e.Name(), "fd"))
		if err != nil {
			continue
		}
		for _, fd := range fds {
			link, err := os.Readlink(filepath.Join("/proc", e.Name(), "fd", fd.Name()))
			if err != nil {
				continue
			}
			if rest, ok := strings.CutPrefix(link, "socket:["); ok {
				if n, err := strconv.ParseUint(strings.TrimSuffix(rest, "]"), 10, 64); err == nil {
					inodes[n] = true
				}
			}
		}
	}
	if len(inodes) == 0 {
		return nil, nil
	}
	var addrs []netip.AddrPort
	for _, table := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		f, err := os.Open(table)
		if errors.Is(err, os.ErrNotExist) {
			continue // no IPv6
		}
		if err != nil {
			return nil, fmt.Errorf("reading the TCP sockets: %w", err)
		}
		ls, err := parseListeners(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", table, err)
		}
		for _, l := range ls {
			if inodes[l.inode] && !slices.Contains(addrs, l.addr) {
				addrs = append(addrs, l.addr)
			}
		}
	}
	return addrs, nil
}

// processGroup is the group of process pid, read from /proc/<pid>/stat;
// -1 when it cannot be read.
func processGroup(pid int) int {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return -1
	}
	// "pid (comm) state ppid pgrp ...": comm may hold spaces and
	// parentheses, so the fields start after the last ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return -1
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 3 {
		return -1
	}
	g, err := strconv.Atoi(f[2])
	if err != nil {
		return -1
	}
	return g
}

// tcpListener is one listening socket of a /proc/net/tcp table.
type tcpListener struct {
	addr  netip.AddrPort
	inode uint64
}

// tcpListen is the LISTEN state in /proc/net/tcp's "st" column.
const tcpListen = "0A"

// parseListeners reads a /proc/net/tcp or /proc/net/tcp6 table and
// returns its listening sockets. A line it cannot read is an error: the
// format has not changed since Linux 2.6, so one that does not parse is
// not such a table.
func parseListeners(r io.Reader) ([]tcpListener, error) {
	sc := bufio.NewScanner(r)
	var out []tcpListener
	line := 0
	for sc.Scan() {
		line++
		if line == 1 {
			continue // the column names
		}
		// sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode ...
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		if len(f) < 10 {
			return nil, fmt.Errorf("line %d: %d fields, want at least 10", line, len(f))
		}
		if f[3] != tcpListen {
			continue
		}
		addr, err := parseHexAddr(f[1])
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		inode, err := strconv.ParseUint(f[9], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("line %d: inode %q: %w", line, f[9], err)
		}
		out = append(out, tcpListener{addr: addr, inode: inode})
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// parseHexAddr reads "0100007F:1F90" (IPv4) or a 32-digit IPv6 address
// and a port. The kernel prints the address as 32-bit words in the
// machine's byte order and the port as a number.
func parseHexAddr(s string) (netip.AddrPort, error) {
	host, port, ok := strings.Cut(s, ":")
	if !ok {
		return netip.AddrPort{}, fmt.Errorf("address %q has no port", s)
	}
	p, err := strconv.ParseUint(port, 16, 16)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("address %q: port: %w", s, err)
	}
	raw, err := hex.DecodeString(host)
	if err != nil || (len(raw) != 4 && len(raw) != 16) {
		return netip.AddrPort{}, fmt.Errorf("address %q: not 8 or 32 hex digits", s)
	}
	for i := 0; i < len(raw); i += 4 {
		binary.NativeEndian.PutUint32(raw[i:], binary.BigEndian.Uint32(raw[i:]))
	}
	ip, _ := netip.AddrFromSlice(raw)
	return netip.AddrPortFrom(ip.Unmap(), uint16(p)), nil
}
