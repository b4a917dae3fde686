package python

import (
	"fmt"
	"io"
)

// noticePrefix starts the lines lambdalens itself writes into a dev
// process's output, from Go (notify) and from the shim (its log function).
const noticePrefix = "lambdalens: "

// notify writes one line for the user to w, the dev process's stderr
// (DevRequest.Stderr). That is how the runtime tells the user something at
// the default log level: the dev server prints the line after the
// function's name ("[api/index] lambdalens: ..."), --json makes it an
// output event and the language server logs it, like the shim's own
// lines. A nil w discards it. Details for --verbose go to the logger.
func notify(w io.Writer, format string, args ...any) {
	if w == nil {
		return
	}
	// A notice is best effort: an output that fails is the dev server's
	// to report.
	_, _ = fmt.Fprintf(w, noticePrefix+format+"\n", args...)
}
