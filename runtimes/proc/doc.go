// Package proc runs dev-server child processes with one lifecycle shared by
// every runtime: start the child in its own process group, wait until it
// reports the TCP port it listens on, and stop the whole group with SIGINT,
// a grace period and then SIGKILL.
//
// # Port reporting
//
// A child reports its port in one of three ways (see PortMode):
//
//   - PortFD3: the child writes the port as ASCII digits (a trailing newline
//     is accepted) to file descriptor 3 and closes it. The port-file
//     environment variables are set as well, and whichever answer comes
//     first wins.
//   - PortFile: the child writes the digits to the file named by
//     $LAMBDALENS_DEV_PORT_FILE (also exported as $VERCEL_DEV_PORT_FILE for
//     compatibility with Vercel runtimes). The file lives in os.TempDir,
//     is polled until the ready deadline and is removed once read. Children
//     should write it with a single write or write-and-rename.
//   - PortEnv: the parent picks a free 127.0.0.1 port, passes PORT=<n> and
//     waits until 127.0.0.1:<n> accepts connections. On Linux it also
//     looks at the sockets the child's group listens on (/proc): a child
//     that listens elsewhere only (a hard-coded :8080, or ::1) is warned
//     about after a few seconds, and the error at the ready deadline
//     names those addresses.
//
// Every wait races the child's exit, the caller's context and
// Config.ReadyTimeout; a failed start is a *StartError carrying the exit
// status and the last lines the child wrote to stderr.
//
// # Dying with the parent
//
// On Linux the child gets Pdeathsig=SIGKILL so that it does not outlive a
// crashed lambdalens. The kernel ties that signal to the OS thread that
// forked the child, not to the process: if that thread exits, the child is
// killed. The Go runtime only ends a thread when a goroutine locked to it
// (runtime.LockOSThread) returns without unlocking, so Start forks from a
// dedicated goroutine that locks its thread, starts the child and then
// waits for it on the same thread, unlocking only after the child is gone.
// The thread would be blocked in wait anyway, so this costs nothing extra.
// Pdeathsig reaches only the direct child: grandchildren survive a parent
// crash (Stop, in contrast, signals the whole group).
package proc
