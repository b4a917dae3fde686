package lsp

// ServeListener exposes serveListener to the external tests, which need
// the address bound before they connect.
var ServeListener = serveListener
