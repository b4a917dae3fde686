#!/usr/bin/env bash
# vercel-setup.sh installs the baseline the benchmarks compare against: the
# Vercel CLI from npm; a file:// Go module proxy holding the modules
# `vercel build` needs for Go functions (github.com/vercel/go-bridge and
# what it imports), as /work/shared/reference/vercel-cli-offline.md
# describes; and uv from PyPI, which `vercel build` needs for Python.
# Everything goes into a cache folder outside the repository; running it
# again is a no-op.
#
#   bench/vercel-setup.sh            # prints the folder it used
#
# Environment:
#   LAMBDALENS_BENCH_CACHE  cache folder (default ~/.cache/lambdalens-bench)
#   VERCEL_VERSION          CLI version (default 64.0.2)
set -euo pipefail

cache="${LAMBDALENS_BENCH_CACHE:-$HOME/.cache/lambdalens-bench}"
version="${VERCEL_VERSION:-64.0.2}"
bridge_version="v0.0.0-20221108222652-296f4c6bdb6d"

# The CLI. vercel@64.0.2 pins sandbox@4.4.0, which the registry here lacks;
# the override picks the next release.
cli="$cache/vercel"
if [ ! -x "$cli/node_modules/.bin/vercel" ]; then
	mkdir -p "$cli"
	cat >"$cli/package.json" <<JSON
{
  "name": "lambdalens-bench-vercel",
  "private": true,
  "dependencies": { "vercel": "$version" },
  "overrides": { "sandbox": "4.5.0" }
}
JSON
	echo "installing vercel@$version into $cli" >&2
	(cd "$cli" && npm install --no-audit --no-fund --loglevel=error >&2)
fi

# The module proxy. The public proxy serves go-bridge only at its exact
# version (listing answers 403), so `go mod tidy` inside `vercel build`
# fails against it; a file:// proxy with an @latest entry works.
proxy="$cache/goproxy"
if [ ! -f "$proxy/github.com/vercel/go-bridge/@latest" ] || [ ! -d "$proxy/github.com/aws/aws-lambda-go" ]; then
	scratch="$(mktemp -d)"
	trap 'chmod -R u+w "$scratch" 2>/dev/null; rm -rf "$scratch"' EXIT
	mkdir -p "$scratch/mod"
	(
		cd "$scratch/mod"
		export GOMODCACHE="$scratch/modcache" GOFLAGS=-modcacherw GOTOOLCHAIN=local
		go mod init lambdalens.bench/bridge >/dev/null 2>&1
		go get "github.com/vercel/go-bridge@$bridge_version" >&2
		# Import the bridge so that tidy also fetches what it imports
		# (github.com/aws/aws-lambda-go), as `vercel build` will ask for it.
		printf 'package main\n\nimport _ "github.com/vercel/go-bridge/go/bridge"\n\nfunc main() {}\n' >main.go
		go mod tidy >&2
	)
	rm -rf "$proxy"
	mkdir -p "$(dirname "$proxy")"
	cp -r "$scratch/modcache/cache/download" "$proxy"
	cp "$proxy/github.com/vercel/go-bridge/@v/$bridge_version.info" "$proxy/github.com/vercel/go-bridge/@latest"
	mkdir -p "$proxy/sumdb/sum.golang.org"
	touch "$proxy/sumdb/sum.golang.org/supported"
fi

# uv, in a virtual environment of its own. `vercel build` refuses Python
# projects without it ("uv is required but was not found in PATH").
uv="$cache/uv"
if [ ! -x "$uv/bin/uv" ]; then
	echo "installing uv into $uv" >&2
	python3 -m venv "$uv"
	"$uv/bin/pip" install --quiet uv >&2
fi

"$cli/node_modules/.bin/vercel" --version >/dev/null 2>&1 || {
	echo "vercel-setup: $cli/node_modules/.bin/vercel --version failed" >&2
	exit 1
}
echo "$cache"
