package lsp_test

import (
	"context"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/lambdalens/lambdalens/lsp"
	"github.com/lambdalens/lambdalens/lsp/lsptest"
)

// benchEnv starts an in-process server on the benchmark workspace (see
// bench/lsp for the subprocess version that also measures gopls).
func benchEnv(b *testing.B) (*lsptest.Editor, context.Context) {
	b.Helper()
	dir := b.TempDir()
	if err := lsptest.WriteBenchWorkspace(dir); err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	b.Cleanup(cancel)
	sc, cc := net.Pipe()
	done := make(chan error, 1)
	go func() { done <- lsp.Run(ctx, sc, sc, lsp.Config{Logger: testLogger()}) }()
	e := lsptest.Connect(ctx, cc, dir, lsptest.Options{})
	b.Cleanup(func() {
		_ = e.Shutdown(ctx)
		_ = e.Exit(ctx)
		<-done
		e.Close()
	})
	if _, err := e.Initialize(ctx); err != nil {
		b.Fatal(err)
	}
	if err := e.OpenFile(ctx, lsptest.BenchEditedFile); err != nil {
		b.Fatal(err)
	}
	if err := e.Await(ctx, "first diagnostics", func(s *lsptest.State) bool {
		return len(s.Diagnostics[lsptest.BenchEditedFile].Diagnostics) > 0
	}); err != nil {
		b.Fatal(err)
	}
	return e, ctx
}

// BenchmarkKeystroke measures didChange → publishDiagnostics on a
// workspace of 200 Go and 50 Python functions.
func BenchmarkKeystroke(b *testing.B) {
	e, ctx := benchEnv(b)
	i := 0
	for b.Loop() {
		re, repl := `var _ int = "x"`, `var _ int = 1`
		if i%2 == 1 {
			re, repl = repl, re
		}
		i++
		v, err := e.ReplaceAll(ctx, lsptest.BenchEditedFile, re, repl)
		if err != nil {
			b.Fatal(err)
		}
		if err := e.Await(ctx, fmt.Sprint("version ", v), func(s *lsptest.State) bool {
			return s.Diagnostics[lsptest.BenchEditedFile].Version >= v
		}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCodeLens measures codeLens requests on an open function.
func BenchmarkCodeLens(b *testing.B) {
	e, ctx := benchEnv(b)
	if err := e.OpenFile(ctx, lsptest.BenchLensFile); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		ls, err := e.CodeLens(ctx, lsptest.BenchLensFile)
		if err != nil || len(ls) == 0 {
			b.Fatalf("lenses %v, %v", ls, err)
		}
	}
}
