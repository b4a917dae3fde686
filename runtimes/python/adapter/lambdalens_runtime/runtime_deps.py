"""Cold-start install of the dependencies a large function leaves out.

A function whose dependencies do not fit in AWS Lambda's 250 MB ships
_uv/uv and _uv/_runtime_config.json instead of some of its public packages
(see lambdalens' runtimes/python/build_runtime_install.go). install() runs
once per container, before the user's code is imported: it makes a venv
under the temporary directory, runs `uv sync` for the function's
pyproject.toml and uv.lock into it, leaving alone the packages bundled in
_vendor, and puts the venv's site-packages on sys.path right after
_vendor, ahead of the managed runtime's own packages. Later invocations
in the same container find the venv complete and only add it to sys.path.

A failed install raises RuntimeError with uv's output: a function error,
tried again on the next cold start.
"""

import os
import sys

CONFIG = os.path.join("_uv", "_runtime_config.json")

# Environment variables of the function that uv gets: the index, TLS roots
# and proxies.
_PASSED_ON = (
    "UV_INDEX_URL",
    "UV_DEFAULT_INDEX",
    "UV_EXTRA_INDEX_URL",
    "UV_NATIVE_TLS",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "HTTPS_PROXY",
    "HTTP_PROXY",
    "NO_PROXY",
    "https_proxy",
    "http_proxy",
    "no_proxy",
)


def _site_packages(env_dir):
    return os.path.join(
        env_dir,
        "lib",
        "python%d.%d" % sys.version_info[:2],
        "site-packages",
    )


def install(task_root, vendor=None):
    """Install the left-out packages of the function at task_root, if any,
    and put them on sys.path right after vendor (the bundled packages'
    directory, task_root/_vendor by default). Returns the venv's
    directory, or None."""
    config_path = os.path.join(task_root, CONFIG)
    if not os.path.exists(config_path):
        return None  # every function without a runtime install: nothing imported
    import json
    import subprocess
    import tempfile
    import time
    import venv

    with open(config_path) as f:
        config = json.load(f)
    tmp = tempfile.gettempdir()
    env_dir = os.path.join(tmp, "lambdalens_runtime_deps")
    marker = os.path.join(env_dir, ".lambdalens-complete")
    if not os.path.exists(marker):
        start = time.monotonic()
        # symlinks: the managed runtime's interpreter stays where it is.
        venv.EnvBuilder(clear=True, symlinks=True, with_pip=False).create(env_dir)
        cmd = [
            os.path.join(task_root, "_uv", "uv"),
            "sync",
            "--active",
            "--frozen",
            "--inexact",
            "--no-dev",
            "--no-editable",
            "--no-install-project",
            "--no-build",
            "--no-progress",
            # Lambda's temporary directory is small (512 MB by default): no
            # cache kept, and the venv shares its files' blocks with the
            # download uv unpacks them from.
            "--no-cache",
            "--link-mode",
            "hardlink",
        ]
        for name in config.get("bundledPackages", []):
            cmd += ["--no-install-package", name]
        env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": tmp,
            "VIRTUAL_ENV": env_dir,
            "UV_PYTHON_DOWNLOADS": "never",
            "UV_NO_INSTALLER_METADATA": "1",
        }
        # What the function's environment says about reaching the index.
        for key in _PASSED_ON:
            if key in os.environ:
                env[key] = os.environ[key]
        proc = subprocess.run(
            cmd,
            cwd=os.path.join(task_root, config.get("projectDir", ".")),
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            universal_newlines=True,
        )
        if proc.returncode != 0:
            raise RuntimeError(
                "installing the function's runtime dependencies failed "
                "(uv sync exited with %d):\n%s" % (proc.returncode, proc.stdout)
            )
        with open(marker, "w"):
            pass
        sys.stderr.write(
            "lambdalens: installed the runtime dependencies in %.2fs\n"
            % (time.monotonic() - start)
        )
    _add_first(_site_packages(env_dir), vendor or os.path.join(task_root, "_vendor"))
    return env_dir


def _add_first(site_dir, vendor):
    """Add site_dir (with its .pth files) to sys.path right after vendor,
    or at the front when vendor is not on it. site.addsitedir appends, and
    the runtime's own directories (/var/runtime, /var/lang/.../site-packages
    with their boto3, botocore, six, urllib3) would then shadow the
    versions uv.lock pins."""
    import site

    before = list(sys.path)
    site.addsitedir(site_dir)
    seen = set(before)
    added = [p for p in sys.path if p not in seen]
    rest = [p for p in before if p not in added]
    at = rest.index(vendor) + 1 if vendor in rest else 0
    sys.path[:] = rest[:at] + added + rest[at:]
