package proc

import (
	"strings"
	"testing"
)

func TestParsePort(t *testing.T) {
	tests := []struct {
		in   string
		want int // 0 means an error
	}{
		{"8080", 8080},
		{"8080\n", 8080},
		{" 3000\r\n", 3000},
		{"1", 1},
		{"65535", 65535},
		{"65536", 0},
		{"0", 0},
		{"", 0},
		{"\n", 0},
		{"-1", 0},
		{"80 80", 0},
		{"abc", 0},
		{"99999999999999999999999", 0},
	}
	for _, tt := range tests {
		got, err := parsePort([]byte(tt.in))
		if tt.want == 0 {
			if err == nil {
				t.Errorf("parsePort(%q) = %d, want an error", tt.in, got)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("parsePort(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
		}
	}
}

func FuzzParsePort(f *testing.F) {
	for _, s := range []string{"8080", "8080\n", "", "0", "65536", "+1", " 1 "} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		n, err := parsePort(b)
		if err == nil && (n < 1 || n > 65535) {
			t.Fatalf("parsePort(%q) = %d without error", b, n)
		}
	})
}

func TestLineRing(t *testing.T) {
	tests := []struct {
		name   string
		n      int
		writes []string
		want   string
	}{
		{"empty", 3, nil, ""},
		{"partial line kept", 3, []string{"abc"}, "abc"},
		{"lines split across writes", 3, []string{"a", "b\nc", "d\n"}, "ab\ncd"},
		{"keeps last n", 2, []string{"1\n2\n3\n4\n"}, "3\n4"},
		{"wraps and keeps partial", 2, []string{"1\n2\n3\n", "tail"}, "2\n3\ntail"},
		{"crlf", 2, []string{"x\r\ny\r\n"}, "x\ny"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newLineRing(tt.n)
			for _, w := range tt.writes {
				if n, err := r.Write([]byte(w)); n != len(w) || err != nil {
					t.Fatalf("Write = %d, %v", n, err)
				}
			}
			if got := r.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
		})
	}
	t.Run("long line capped", func(t *testing.T) {
		r := newLineRing(2)
		r.Write([]byte(strings.Repeat("x", 3*maxLineBytes) + "\n"))
		if got := len(r.String()); got != maxLineBytes {
			t.Errorf("stored line length = %d, want %d", got, maxLineBytes)
		}
	})
}
