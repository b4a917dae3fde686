package lambdaloop

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
)

// llEnvExecWrapper names the wrapper script Lambda runs in place of the
// runtime (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-modify.html).
const llEnvExecWrapper = "AWS_LAMBDA_EXEC_WRAPPER"

// llWrapperExec is what to exec in place of the process.
type llWrapperExec struct {
	path string   // resolved executable
	argv []string // [wrapper, original args...]
	env  []string // the environment without AWS_LAMBDA_EXEC_WRAPPER
}

// llPlanWrapper decides whether to exec a wrapper. ok is false when
// AWS_LAMBDA_EXEC_WRAPPER is unset or empty. The variable is removed from the
// wrapper's environment so that the bootstrap it starts runs the loop.
func llPlanWrapper(environ, args []string, lookPath func(string) (string, error)) (plan llWrapperExec, ok bool, err error) {
	wrapper := ""
	env := make([]string, 0, len(environ))
	for _, kv := range environ {
		if v, found := strings.CutPrefix(kv, llEnvExecWrapper+"="); found {
			wrapper = v
			continue
		}
		env = append(env, kv)
	}
	if wrapper == "" {
		return llWrapperExec{}, false, nil
	}
	path := wrapper
	if !strings.Contains(wrapper, "/") {
		// Like the shell's `exec "$AWS_LAMBDA_EXEC_WRAPPER"`: a bare name
		// is looked up in PATH.
		if path, err = lookPath(wrapper); err != nil {
			return llWrapperExec{}, true, fmt.Errorf("looking up %s=%q: %w", llEnvExecWrapper, wrapper, err)
		}
	}
	argv := append([]string{wrapper}, args...)
	return llWrapperExec{path: path, argv: argv, env: env}, true, nil
}

// execWrapper replaces the process with $AWS_LAMBDA_EXEC_WRAPPER when it is
// set. It returns when it is not; when the exec fails it reports an init
// error and exits.
func (p *llProcess) execWrapper() {
	plan, ok, err := llPlanWrapper(os.Environ(), os.Args, exec.LookPath)
	if !ok {
		return
	}
	if err == nil {
		p.log.Info("running the exec wrapper", "wrapper", plan.path)
		err = llExec(plan.path, plan.argv, plan.env)
		err = fmt.Errorf("executing %s=%q: %w", llEnvExecWrapper, plan.argv[0], err)
	}
	// Leave the variable out of our own environment too, in case the init
	// error is followed by anything that starts a process.
	_ = os.Unsetenv(llEnvExecWrapper)
	p.initFailed(&llFunctionError{Type: llErrTypeExecWrapper, Message: err.Error()})
}
