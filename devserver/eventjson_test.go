package devserver

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
)

func FuzzEventJSON(f *testing.F) {
	f.Add("request", int64(1764196587123456789), "api/users/[id]", "GET", "/api/users/42?x=<1>&y", 200, int64(1234567), "", false, "")
	f.Add("output", int64(0), "api/a", "", "", 0, int64(0), "stderr", false, "panic: \"boom\"\n\t\x01 \u2028 \xff é")
	f.Add("process-exited", int64(-1), "", "", "", -3, int64(-5), "", true, "")
	f.Fuzz(func(t *testing.T, typ string, unixNano int64, fn, method, path string, status int, dur int64, stream string, crashed bool, msg string) {
		ev := Event{
			Type: EventType(typ), Time: time.Unix(0, unixNano).UTC(), Function: fn, File: fn + ".go", URL: path,
			Method: method, Path: path, Status: status, RequestID: msg, Duration: time.Duration(dur),
			Reason: msg, PID: status, Addr: method, Crashed: crashed, ExitStatus: stream, Stream: stream,
			Message: msg, Output: path + msg,
		}
		want, err := json.Marshal(ev)
		if err != nil {
			t.Skip(err) // a time outside what MarshalJSON accepts (years past 9999)
		}
		if got := appendEventJSON(nil, &ev); !bytes.Equal(got, want) {
			t.Errorf("appendEventJSON:\n got %s\nwant %s", got, want)
		}
	})
}
