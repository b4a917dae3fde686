package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Issue 6 / editors: with stdio, `exit` must end the process even though
// the client keeps stdin open (closing the connection does not unblock a
// read of stdin). Neovim waits for the server process to go away.
func TestLSPExitsOnExitWithStdinOpen(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the lambdalens binary")
	}
	bin := filepath.Join(t.TempDir(), "lambdalens")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "lsp", "--stdio")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	defer stdin.Close()

	send := func(msg map[string]any) {
		body, _ := json.Marshal(msg)
		fmt.Fprintf(stdin, "Content-Length: %d\r\n\r\n%s", len(body), body)
	}
	r := bufio.NewReader(stdout)
	// readResponse returns the next message that has an "id" equal to id.
	readResponse := func(id int) map[string]any {
		for {
			n := 0
			for {
				line, err := r.ReadString('\n')
				if err != nil {
					t.Fatalf("reading from the server: %v (stderr: %s)", err, stderr.String())
				}
				line = strings.TrimSpace(line)
				if line == "" {
					break
				}
				if v, ok := strings.CutPrefix(line, "Content-Length: "); ok {
					n, _ = strconv.Atoi(v)
				}
			}
			body := make([]byte, n)
			if _, err := io.ReadFull(r, body); err != nil {
				t.Fatal(err)
			}
			var msg map[string]any
			if err := json.Unmarshal(body, &msg); err != nil {
				t.Fatalf("bad message %q: %v", body, err)
			}
			if got, ok := msg["id"].(float64); ok && int(got) == id {
				return msg
			}
		}
	}
	send(map[string]any{"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": map[string]any{"processId": nil, "rootUri": nil, "capabilities": map[string]any{}}})
	if res := readResponse(1); res["result"] == nil {
		t.Fatalf("initialize failed: %v", res)
	}
	send(map[string]any{"jsonrpc": "2.0", "method": "initialized", "params": map[string]any{}})
	send(map[string]any{"jsonrpc": "2.0", "id": 2, "method": "shutdown"})
	readResponse(2)
	send(map[string]any{"jsonrpc": "2.0", "method": "exit"})

	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("lambdalens lsp exited with %v after shutdown+exit, want status 0 (stderr: %s)", err, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("lambdalens lsp still running 10s after exit with stdin open (stderr: %s)", stderr.String())
	}
}
