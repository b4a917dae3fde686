package devserver

import (
	"strconv"
	"time"
	"unicode/utf8"
)

// appendEventJSON appends ev as encoding/json would marshal it, for the
// events without diagnostics: the request and output lines a busy dev
// server prints thousands of times a second, without reflection.
// FuzzEventJSON holds it to json.Marshal byte for byte.
func appendEventJSON(b []byte, ev *Event) []byte {
	b = append(b, `{"type":`...)
	b = appendJSONString(b, string(ev.Type))
	b = append(b, `,"time":"`...)
	b = ev.Time.AppendFormat(b, time.RFC3339Nano)
	b = append(b, '"')
	b = appendStringField(b, "function", ev.Function)
	b = appendStringField(b, "file", ev.File)
	b = appendStringField(b, "url", ev.URL)
	b = appendStringField(b, "method", ev.Method)
	b = appendStringField(b, "path", ev.Path)
	b = appendIntField(b, "status", int64(ev.Status))
	b = appendStringField(b, "requestId", ev.RequestID)
	b = appendIntField(b, "duration", int64(ev.Duration))
	b = appendStringField(b, "reason", ev.Reason)
	b = appendIntField(b, "pid", int64(ev.PID))
	b = appendStringField(b, "addr", ev.Addr)
	if ev.Crashed {
		b = append(b, `,"crashed":true`...)
	}
	b = appendStringField(b, "exitStatus", ev.ExitStatus)
	b = appendStringField(b, "stream", ev.Stream)
	b = appendStringField(b, "message", ev.Message)
	b = appendStringField(b, "output", ev.Output)
	return append(b, '}')
}

// appendStringField appends `,"key":"value"` unless value is empty
// (omitempty).
func appendStringField(b []byte, key, value string) []byte {
	if value == "" {
		return b
	}
	b = append(b, ',', '"')
	b = append(b, key...)
	b = append(b, '"', ':')
	return appendJSONString(b, value)
}

func appendIntField(b []byte, key string, n int64) []byte {
	if n == 0 {
		return b
	}
	b = append(b, ',', '"')
	b = append(b, key...)
	b = append(b, '"', ':')
	return strconv.AppendInt(b, n, 10)
}

// appendJSONString quotes s the way encoding/json does by default: HTML
// characters, control characters, U+2028 and U+2029 escaped, invalid
// UTF-8 replaced by U+FFFD.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
