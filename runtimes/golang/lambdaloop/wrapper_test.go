package lambdaloop

import (
	"errors"
	"slices"
	"testing"
)

func TestPlanWrapper(t *testing.T) {
	look := func(name string) (string, error) {
		if name == "known" {
			return "/usr/bin/known", nil
		}
		return "", errors.New("not found")
	}
	args := []string{"/var/task/bootstrap", "-x"}
	tests := []struct {
		name     string
		environ  []string
		wantOK   bool
		wantErr  bool
		wantPath string
		wantArgv []string
		wantEnv  []string
	}{
		{name: "unset", environ: []string{"A=1"}},
		{name: "empty", environ: []string{"AWS_LAMBDA_EXEC_WRAPPER=", "A=1"}},
		{name: "absolute", environ: []string{"A=1", "AWS_LAMBDA_EXEC_WRAPPER=/opt/wrap", "B=2"}, wantOK: true,
			wantPath: "/opt/wrap", wantArgv: []string{"/opt/wrap", "/var/task/bootstrap", "-x"}, wantEnv: []string{"A=1", "B=2"}},
		{name: "relative with slash is used as is", environ: []string{"AWS_LAMBDA_EXEC_WRAPPER=./wrap"}, wantOK: true,
			wantPath: "./wrap", wantArgv: []string{"./wrap", "/var/task/bootstrap", "-x"}, wantEnv: []string{}},
		{name: "bare name looked up in PATH", environ: []string{"AWS_LAMBDA_EXEC_WRAPPER=known"}, wantOK: true,
			wantPath: "/usr/bin/known", wantArgv: []string{"known", "/var/task/bootstrap", "-x"}, wantEnv: []string{}},
		{name: "bare name not found", environ: []string{"AWS_LAMBDA_EXEC_WRAPPER=unknown"}, wantOK: true, wantErr: true},
		{name: "similar name is not the variable", environ: []string{"AWS_LAMBDA_EXEC_WRAPPER_X=/opt/wrap"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plan, ok, err := llPlanWrapper(tt.environ, args, look)
			if ok != tt.wantOK || (err != nil) != tt.wantErr {
				t.Fatalf("ok=%v err=%v, want ok=%v err=%v", ok, err, tt.wantOK, tt.wantErr)
			}
			if !ok || err != nil {
				return
			}
			if plan.path != tt.wantPath || !slices.Equal(plan.argv, tt.wantArgv) || !slices.Equal(plan.env, tt.wantEnv) {
				t.Errorf("plan = %+v, want path %q argv %q env %q", plan, tt.wantPath, tt.wantArgv, tt.wantEnv)
			}
		})
	}
}
