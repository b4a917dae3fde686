#!/usr/bin/env bash
# vercel-compare.sh runs every lambdalens-vs-Vercel comparison in one go:
# it installs the baseline (bench/vercel-setup.sh), then runs the build,
# dev and Python benchmarks with the Vercel CLI required (-vercel on), each
# measuring lambdalens and Vercel on copies of the same project in the same
# run. Extra arguments go to every benchmark (e.g. -keep).
#
#   bench/vercel-compare.sh            # short runs
#   FULL=1 bench/vercel-compare.sh     # the runs bench/README.md reports
#
# Environment:
#   FULL=1     longer runs (more samples, 20 s reload, 200 sequential requests)
#   PYTHON     interpreter for the Python benchmark; vercel build needs
#              Python >= 3.12 (default: python3.12 if found, else python3)
set -euo pipefail
cd "$(dirname "$0")/.."

bench/vercel-setup.sh >/dev/null

# works PY: whether PY runs and is Python >= 3.12 (a pyenv shim may exist on
# PATH for a version that is not selected, and fail when run).
works() { "$1" -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1; }

python="${PYTHON:-}"
if [ -z "$python" ]; then
	for candidate in python3.12 python3.13 python3; do
		if path="$(command -v "$candidate")" && works "$path"; then
			python="$path"
			break
		fi
	done
fi
if [ -z "$python" ] && command -v pyenv >/dev/null 2>&1; then
	for v in $(pyenv versions --bare 2>/dev/null | grep -E '^3\.(1[2-9]|[2-9][0-9])' | sort -V); do
		if works "$(pyenv root)/versions/$v/bin/python3"; then
			python="$(pyenv root)/versions/$v/bin/python3"
			break
		fi
	done
fi
if [ -z "$python" ]; then
	echo "vercel-compare: no Python >= 3.12 found (set PYTHON); vercel build will fail on the Python project" >&2
	python=python3
fi

if [ "${FULL:-}" = 1 ]; then
	build_args=(-cold-runs 3 -runs 5)
	dev_args=(-duration 5s -rounds 3 -edits 10 -reload-duration 20s -reload-edits 5 -vercel-requests 200 -vercel-edits 5)
	python_args=(-duration 5s -rounds 3 -edits 10 -build-runs 3)
else
	build_args=()
	dev_args=()
	python_args=()
fi

go run ./bench/build -vercel on "${build_args[@]}" "$@"
echo
go run ./bench/dev -vercel on "${dev_args[@]}" "$@"
echo
go run ./bench/python -vercel on -python "$python" "${python_args[@]}" "$@"
