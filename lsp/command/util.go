package command

import (
	"bytes"
	"encoding/json"
	"fmt"

	"go.lsp.dev/jsonrpc2"
)

// UnmarshalArgs decodes a command's arguments into its argument struct:
// none leaves it zero, one object is decoded strictly (unknown fields are
// an error), more is an error.
func UnmarshalArgs(args []any, dst any) error {
	switch len(args) {
	case 0:
		return nil
	case 1:
	default:
		return fmt.Errorf("expected at most 1 argument, got %d: %w", len(args), jsonrpc2.ErrInvalidParams)
	}
	if args[0] == nil {
		return nil
	}
	data, err := json.Marshal(args[0])
	if err != nil {
		return fmt.Errorf("reading the argument: %w: %w", err, jsonrpc2.ErrInvalidParams)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return fmt.Errorf("decoding the argument %s: %w: %w", data, err, jsonrpc2.ErrInvalidParams)
	}
	return nil
}
