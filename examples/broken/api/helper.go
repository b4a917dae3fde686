package handler

// shout is a helper beside the handlers: no handler here, so not a function.
func shout(s string) string { return s + "!" }
