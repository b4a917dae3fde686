package buildsys

import (
	"errors"
	"fmt"
	"strings"

	"github.com/lambdalens/lambdalens/runtimes"
)

// DiagnosticsError is returned when the project has error diagnostics (a
// broken vercel.json, a function without a handler); nothing was built.
type DiagnosticsError struct {
	// Diagnostics are the error-severity diagnostics, sorted by file.
	Diagnostics []runtimes.Diagnostic
}

func newDiagnosticsError(all []runtimes.Diagnostic) *DiagnosticsError {
	e := &DiagnosticsError{}
	for _, d := range all {
		if d.Severity == runtimes.SeverityError {
			e.Diagnostics = append(e.Diagnostics, d)
		}
	}
	return e
}

// Error lists the diagnostics as file:line:col lines.
func (e *DiagnosticsError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "the project has %d error%s; nothing was built", len(e.Diagnostics), plural(len(e.Diagnostics)))
	for _, d := range e.Diagnostics {
		b.WriteString("\n")
		b.WriteString(d.String())
	}
	return b.String()
}

// FunctionError is one function's failed build. Err names the function's
// file itself: the runtimes' errors say what they were doing to which file
// (a BuildError's Op, "computing the cache key of api/a.py: ..."), and so
// do buildsys's own ("checking the output of api/a.go: ...").
type FunctionError struct {
	ID   string
	File string
	Err  error
}

func (e *FunctionError) Unwrap() error { return e.Err }

// Error is the failure with its compiler diagnostics (file:line:col lines)
// or, when the tool printed nothing parseable, its output.
func (e *FunctionError) Error() string {
	var be *runtimes.BuildError
	if !errors.As(e.Err, &be) {
		return e.Err.Error()
	}
	if len(be.Diagnostics) == 0 {
		return be.Error()
	}
	var b strings.Builder
	b.WriteString(be.Op)
	if be.Err != nil {
		fmt.Fprintf(&b, ": %v", be.Err)
	}
	for _, d := range be.Diagnostics {
		b.WriteString("\n")
		b.WriteString(d.String())
	}
	return b.String()
}

// Diagnostics are the failure as diagnostics: the compiler's when the
// runtime parsed any, else one error on the entrypoint file.
func (e *FunctionError) Diagnostics() []runtimes.Diagnostic {
	var be *runtimes.BuildError
	if errors.As(e.Err, &be) && len(be.Diagnostics) > 0 {
		return be.Diagnostics
	}
	msg, _, _ := strings.Cut(e.Err.Error(), "\n")
	return []runtimes.Diagnostic{{
		File: e.File, Severity: runtimes.SeverityError, Code: "build-failed", Message: msg,
	}}
}

// Failure is returned when some functions failed to build. The previous
// output, if any, was left as it was.
type Failure struct {
	// Errors are the failed functions, in ID order.
	Errors []*FunctionError
	// Total is the number of functions that were built.
	Total int
}

func (e *Failure) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d of %d function%s failed to build; the output was not written", len(e.Errors), e.Total, plural(e.Total))
	for _, fe := range e.Errors {
		b.WriteString("\n\n")
		b.WriteString(fe.Error())
	}
	return b.String()
}

// Unwrap gives the function errors to errors.Is and errors.As.
func (e *Failure) Unwrap() []error {
	out := make([]error, len(e.Errors))
	for i, fe := range e.Errors {
		out[i] = fe
	}
	return out
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
