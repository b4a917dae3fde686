#!/usr/bin/env bash
# Tests of editors/vscode, in order:
#   1. the generated command lists are fresh (lsp/commands.json → package.json, src, Lua);
#   2. tsc --noEmit;
#   3. unit tests of the extension logic (node --test);
#   4. the .vsix packaging, inside `unshare -n` (no network) when possible;
#   5. the real-editor test: code-server with the .vsix, driven by headless
#      Chromium (test/e2e/e2e.mjs); screenshots go to test/artifacts/ and the
#      running-dev-server one to ../screenshot-lenses.png when UPDATE_SCREENSHOT=1.
#
# Environment:
#   LAMBDALENS_BIN            use this binary instead of building ./cmd/lambdalens
#   LAMBDALENS_TEST_CACHE     where install-test-deps.sh put code-server (default ~/.cache/lambdalens-test)
#   LAMBDALENS_EDITOR_TESTS   "require": a step that cannot run fails instead of skipping
#
# A step that cannot run here (no node_modules, no code-server, no Chromium)
# is reported as SKIP with the reason, loudly.
set -uo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
repo=$(cd "$here/../.." && pwd)
cache=${LAMBDALENS_TEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/lambdalens-test}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$here"

pass=0
fail=0
skipped=0
skip() {
	printf '\n!!! SKIP (editors/vscode): %s\n!!! Run editors/install-test-deps.sh to install what is missing.\n\n' "$1" >&2
	skipped=$((skipped + 1))
	if [ "${LAMBDALENS_EDITOR_TESTS:-}" = require ]; then
		fail=$((fail + 1))
	fi
}
# run NAME CMD...: runs a step, timed, and counts it.
run() {
	local name=$1
	shift
	local start=$(date +%s%N)
	echo "--- $name"
	if "$@"; then
		pass=$((pass + 1))
		echo "--- ok: $name ($(( ($(date +%s%N) - start) / 1000000 )) ms)"
	else
		fail=$((fail + 1))
		echo "--- FAIL: $name" >&2
	fi
}
finish() {
	echo
	echo "editors/vscode: $pass passed, $fail failed, $skipped skipped"
	[ "$fail" -eq 0 ]
	exit
}

if [ ! -x node_modules/.bin/esbuild ] || [ ! -d node_modules/vscode-languageclient ]; then
	skip "editors/vscode/node_modules is missing: no unit, packaging or editor test ran"
	finish
fi

run "generated command lists are fresh" node scripts/generate.mjs --check
run "typecheck" npm run -s typecheck
run "unit tests" npm run -s test:unit

package() {
	rm -f dist/lambdalens.vsix
	if unshare -n true 2>/dev/null; then
		echo "(packaging without network: unshare -n)"
		unshare -n -- npm run -s package >"$tmp/vsce.log" 2>&1 || { cat "$tmp/vsce.log"; return 1; }
	else
		echo "(unshare -n is not permitted here; packaging with the network namespace as it is)"
		npm run -s package >"$tmp/vsce.log" 2>&1 || { cat "$tmp/vsce.log"; return 1; }
	fi
	# The .vsix must hold the bundle, the schema and the manifest, and no sources.
	local listing
	listing=$(unzip -l dist/lambdalens.vsix) || return 1
	for want in extension/dist/extension.js extension/schemas/vercel.schema.json extension/package.json extension/readme.md; do
		grep -q " $want\$" <<<"$listing" || { echo "dist/lambdalens.vsix lacks $want"; echo "$listing"; return 1; }
	done
	if grep -qE ' extension/(src|node_modules|test)/' <<<"$listing"; then
		echo "dist/lambdalens.vsix holds sources or node_modules:"
		echo "$listing"
		return 1
	fi
}
run "package the .vsix" package

codeserver="$cache/code-server/node_modules/.bin/code-server"
chromium=${CHROMIUM:-/usr/bin/chromium}
if [ ! -f dist/lambdalens.vsix ]; then
	skip "no .vsix was built, so the real-editor test cannot run"
elif [ ! -x "$codeserver" ]; then
	skip "code-server is not installed at $codeserver: the real-editor test did not run"
elif [ ! -x "$chromium" ]; then
	skip "Chromium is not installed at $chromium: the real-editor test did not run"
else
	bin=${LAMBDALENS_BIN:-}
	if [ -z "$bin" ]; then
		bin="$tmp/lambdalens"
		(cd "$repo" && go build -o "$bin" ./cmd/lambdalens) || { fail=$((fail + 1)); finish; }
	fi
	if ! "$bin" lsp --help >/dev/null 2>&1; then
		echo "FAIL (editors/vscode): $bin has no working 'lsp' command ($bin lsp --help failed)" >&2
		fail=$((fail + 1))
	else
		run "code-server + Chromium end-to-end" timeout 300 node test/e2e/e2e.mjs --vsix dist/lambdalens.vsix --bin "$bin" --code-server "$codeserver" --chromium "$chromium"
	fi
fi
finish
