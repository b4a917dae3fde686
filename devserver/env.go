package devserver

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/lambdalens/lambdalens/devserver/dotenv"
)

// Environment variable files read from the project root, in order; a
// later file wins.
var envFiles = []string{".env", ".env.local"}

// envBuilder is an ordered KEY=VALUE list in which a later Set wins.
type envBuilder struct {
	keys []string
	vals map[string]string
}

func newEnvBuilder(base []string) *envBuilder {
	b := &envBuilder{vals: make(map[string]string, len(base)+16)}
	for _, kv := range base {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			continue
		}
		b.set(k, v)
	}
	return b
}

func (b *envBuilder) set(k, v string) {
	if _, ok := b.vals[k]; !ok {
		b.keys = append(b.keys, k)
	}
	b.vals[k] = v
}

func (b *envBuilder) list() []string {
	out := make([]string, 0, len(b.keys))
	for _, k := range b.keys {
		out = append(out, k+"="+b.vals[k])
	}
	return out
}

// buildEnv assembles the complete environment of function processes:
// base (os.Environ()), then vercel.json "env", .env and .env.local (a later
// source wins, as in vercel dev where .env overrides vercel.json), then the
// system variables, which always win because only the dev server knows
// them: VERCEL=1, VERCEL_ENV=development, VERCEL_URL (host:port of the dev
// server), VERCEL_REGION=dev1 and NOW_REGION=dev1.
//
// Names that are not valid environment variable names are dropped; each
// drop and each unreadable line is returned as a warning.
func buildEnv(root string, base []string, configEnv map[string]string, hostPort string) (env []string, warnings []string) {
	b := newEnvBuilder(base)
	keys := make([]string, 0, len(configEnv))
	for k := range configEnv {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if !dotenv.ValidName(k) {
			warnings = append(warnings, fmt.Sprintf("vercel.json: env: ignoring %q: not a valid environment variable name", k))
			continue
		}
		b.set(k, configEnv[k])
	}
	for _, name := range envFiles {
		vars, problems, err := dotenv.Load(filepath.Join(root, name))
		if err != nil {
			warnings = append(warnings, err.Error())
			continue
		}
		for _, p := range problems {
			warnings = append(warnings, fmt.Sprintf("%s:%d: %s", name, p.Line, p.Msg))
		}
		for _, v := range vars {
			if !dotenv.ValidName(v.Key) {
				warnings = append(warnings, fmt.Sprintf("%s:%d: ignoring %q: not a valid environment variable name", name, v.Line, v.Key))
				continue
			}
			b.set(v.Key, v.Value)
		}
	}
	b.set("VERCEL", "1")
	b.set("VERCEL_ENV", "development")
	b.set("VERCEL_URL", hostPort)
	b.set("VERCEL_REGION", "dev1")
	b.set("NOW_REGION", "dev1")
	return b.list(), warnings
}
