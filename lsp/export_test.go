package lsp

import "context"

// ServeListener exposes serveListener to the external tests, which need
// the address bound before they connect.
var ServeListener = serveListener

// WithBeforeDevStart returns cfg with a hook that runs in every dev server
// start while it is in progress (before the dev server listens).
func WithBeforeDevStart(cfg Config, hook func(ctx context.Context)) Config {
	cfg.beforeDevStart = hook
	return cfg
}
