package project

import "testing"

func TestPySpec(t *testing.T) {
	tests := []struct {
		spec  string
		allow []int // minors of 3.x that some release satisfies
		deny  []int
	}{
		{">=3.8", []int{8, 12, 14}, []int{7}},
		{"<3.13,>=3.10", []int{10, 12}, []int{9, 13}},
		{"!=3.8.*,>=3.7", []int{7, 9, 12}, []int{8}},
		{"==3.11.*", []int{11}, []int{10, 12}},
		{"~=3.11", []int{11, 14}, []int{10}},
		{"~=3.11.2", []int{11}, []int{10, 12}},
		{">=3.10.4", []int{10, 11}, []int{9}},
		{"<3.12.1", []int{12, 9}, []int{13}},
		{"==3.12", []int{12}, []int{11}},
		{" >= 3.9 , < 4 ", []int{9, 14}, []int{8}},
		{">3.12", []int{12, 13}, []int{11}},
	}
	for _, tt := range tests {
		s, err := parsePySpec(tt.spec)
		if err != nil {
			t.Errorf("%q: %v", tt.spec, err)
			continue
		}
		for _, m := range tt.allow {
			if !s.allowsMinor(3, m) {
				t.Errorf("%q does not allow 3.%d", tt.spec, m)
			}
		}
		for _, m := range tt.deny {
			if s.allowsMinor(3, m) {
				t.Errorf("%q allows 3.%d", tt.spec, m)
			}
		}
	}
	for _, bad := range []string{"3.12", ">=three", ">=3.12,", "~=3", "=>3.9", ">=3.12rc1"} {
		if _, err := parsePySpec(bad); err == nil {
			t.Errorf("%q parsed without error", bad)
		}
	}
}

// FuzzPySpec: any requires-python text parses or fails without a panic,
// and a parsed set answers for every Lambda version.
func FuzzPySpec(f *testing.F) {
	for _, s := range []string{">=3.8", "<3.13,>=3.10", "!=3.8.*,>=3.7", "~=3.11.2", "==3.12", "===3.12.1", ">=3.9, <4"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		spec, err := parsePySpec(s)
		if err != nil {
			return
		}
		if len(spec) == 0 {
			t.Fatalf("%q parsed into no clause", s)
		}
		for minor := 0; minor < 20; minor++ {
			spec.allowsMinor(3, minor)
		}
	})
}
