"""lambdalens dev shim: serve one Python entrypoint over HTTP on 127.0.0.1.

lambdalens writes this file and lambdalens_asgi.py to
<project>/.vercel/cache/python/shim-<hash>/ and runs it with the project's
interpreter:

    python -u .../shim-<hash>/lambdalens_dev.py --root ROOT --file api/x.py \
        [--kind asgi|wsgi|handler] [--symbol app]

It imports the entrypoint, decides at run time whether it is ASGI, WSGI or a
BaseHTTPRequestHandler class (--kind and --symbol are hints from lambdalens'
static analysis), listens on 127.0.0.1:0 and reports the port: ASCII digits
and a newline written to fd 3 (then closed), or, when fd 3 is not a pipe,
the file named by $LAMBDALENS_DEV_PORT_FILE. A socket on fd 4, when there
is one, answers which files the interpreter has imported (serve_control), so
that lambdalens restarts the process only for changes to those.

Servers: ASGI apps run under uvicorn when the interpreter has it, otherwise
under the small asyncio HTTP/1.1 server in lambdalens_asgi.py (request and
response streaming, lifespan). WSGI apps run under werkzeug when available,
otherwise under a threaded wsgiref server. Handler classes run under
http.server.ThreadingHTTPServer. LAMBDALENS_DEV_SERVER=builtin forces the
standard-library servers.

Imports: the project root is put first on sys.path, then the file is imported
by path under its dotted name relative to the root (api/x.py becomes module
"api.x", a member of the namespace package "api"). So `from api.lib import z`
and `from . import helpers` work. The entrypoint's own directory is not put on
sys.path, exactly as in the Lambda bundle (the task root only): an import that
works in dev works after `lambdalens build` too.

Exit codes: 0 after SIGINT/SIGTERM, 3 when the entrypoint cannot be imported
or started (the traceback is on stderr, for lambdalens to parse), 2 for bad
arguments.
"""

import argparse
import importlib.util
import inspect
import io
import json
import os
import signal
import socket
import stat
import sys
import threading
import traceback
from http.server import BaseHTTPRequestHandler

EXIT_START_FAILURE = 3


def log(msg):
    print("lambdalens: " + msg, file=sys.stderr, flush=True)


def fail(msg):
    log("error: " + msg)
    sys.exit(EXIT_START_FAILURE)


# ---------------------------------------------------------------- port report


def report_port(port):
    """Tell lambdalens the port: fd 3 when it is a pipe, else the port file."""
    data = b"%d\n" % port
    try:
        if stat.S_ISFIFO(os.fstat(3).st_mode):
            os.write(3, data)
            os.close(3)
            return
    except OSError:
        pass
    path = os.environ.get("LAMBDALENS_DEV_PORT_FILE") or os.environ.get("VERCEL_DEV_PORT_FILE")
    if not path:
        log("listening on port %d (no fd 3 and no port file to report it)" % port)
        return
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def listen():
    # IPPROTO_TCP explicitly: asyncio disables Nagle (TCP_NODELAY) only on
    # sockets whose proto says TCP, and accepted sockets inherit it. With
    # proto 0, every response on a kept-alive connection waited ~40 ms for
    # a delayed ACK.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    return sock


# ------------------------------------------------------------ loaded files

CONTROL_FD = 4


# Python source and bytecode files this interpreter has opened (audit event
# "open": imports read through io.open_code, exec(open(...).read()) and
# runpy through open). A module whose import failed is not in sys.modules,
# but its file was read, and a fallback taken after the failure stays.
_opened = set()


def _audit(event, args):
    if event == "open" and args:
        p = args[0]
        if not isinstance(p, str):
            try:
                p = os.fspath(p)  # a path-like; an fd or bytes is left out
            except TypeError:
                return
        if isinstance(p, str) and (p.endswith(".py") or p.endswith(".pyc")):
            _opened.add(p)


def serve_control(root):
    """Answer lambdalens's questions on fd 4, when it is a socket: each line
    is a JSON array of absolute paths, answered by a line with the JSON array
    of those this interpreter has read: imported as modules, or opened as
    source (a failed import, exec, runpy). lambdalens restarts the process
    for a changed file only when it was read: a file not read yet is read
    fresh by the import that may come later."""
    try:
        if not stat.S_ISSOCK(os.fstat(CONTROL_FD).st_mode):
            return
    except OSError:
        return
    sys.addaudithook(_audit)
    os.set_inheritable(CONTROL_FD, False)
    sock = socket.socket(fileno=CONTROL_FD)
    threading.Thread(target=_control_loop, args=(sock, root), name="lambdalens-control", daemon=True).start()


def _control_loop(sock, root):
    with sock, sock.makefile("rwb") as f:
        for line in f:
            try:
                asked = json.loads(line)
            except ValueError:
                return
            files = loaded_files(root)
            answer = [p for p in asked if isinstance(p, str) and (p in files or os.path.realpath(p) in files)]
            f.write(json.dumps(answer).encode() + b"\n")
            f.flush()


def loaded_files(root):
    """The absolute paths of the files of every imported module and of every
    source file opened (bytecode files stand for their source), plus the
    resolved paths of those inside root (a project file may be imported
    through a symbolic link)."""
    while True:
        try:
            files = [getattr(m, "__file__", None) for m in list(sys.modules.values())]
            files += list(_opened)
            break
        except RuntimeError:  # changed size during the copy (free-threaded builds)
            continue
    out = set()
    prefix = root.rstrip(os.sep) + os.sep
    for f in files:
        if not isinstance(f, str):
            continue
        if f.endswith(".pyc"):
            try:
                f = importlib.util.source_from_cache(f)
            except ValueError:
                continue
        f = os.path.abspath(f)
        out.add(f)
        if f.startswith(prefix):
            out.add(os.path.realpath(f))
    return out


# -------------------------------------------------------------------- import


def module_name(rel):
    parts = rel[:-3].split("/") if rel.endswith(".py") else rel.split("/")
    if parts and parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(p for p in parts if p) or "__lambdalens_entry__"


def import_entry(root, rel):
    path = os.path.join(root, *rel.split("/"))
    entry_dir = os.path.dirname(path)
    shim_dir = os.path.dirname(os.path.abspath(__file__))
    rest = [p for p in sys.path if p and os.path.abspath(p) not in (shim_dir, root, entry_dir)]
    sys.path[:] = [root] + rest
    name = module_name(rel)
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        fail("cannot load %s" % rel)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def print_user_traceback():
    """Print the current exception without the shim's and importlib's
    frames, which say nothing about the user's code."""
    exc_type, exc, tb = sys.exc_info()
    here = os.path.abspath(__file__)
    while tb is not None:
        name = tb.tb_frame.f_code.co_filename
        if os.path.abspath(name) != here and not name.startswith("<frozen importlib"):
            break
        tb = tb.tb_next
    if tb is None:
        # A SyntaxError has no frame of its own; keep the header lambdalens
        # looks for.
        print("Traceback (most recent call last):", file=sys.stderr)
    traceback.print_exception(exc_type, exc, tb)
    sys.stderr.flush()


def load_sibling(name):
    """Import a helper module shipped next to this file. The shim's
    directory is not on sys.path (see import_entry), so load it by path."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), name + ".py")
    spec = importlib.util.spec_from_file_location("_lambdalens_" + name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ----------------------------------------------------------- app detection


def is_handler_class(obj):
    return inspect.isclass(obj) and issubclass(obj, BaseHTTPRequestHandler)


def positional_params(obj):
    """Number of positional parameters without a default, or None."""
    try:
        sig = inspect.signature(obj)
    except (TypeError, ValueError):
        return None
    n = 0
    for p in sig.parameters.values():
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty:
            n += 1
    return n


def is_async(obj):
    if inspect.iscoroutinefunction(obj):
        return True
    call = getattr(obj, "__call__", None)
    return call is not None and inspect.iscoroutinefunction(call)


def classify(obj, hint):
    """Return ("asgi" | "wsgi" | "handler", the callable to serve) for obj,
    or (None, None). The rules are the Lambda adapter's (detect in
    lambdalens_runtime), so that an app is the same kind in dev and on
    Lambda; hint decides only when the signature cannot be read."""
    if is_handler_class(obj):
        return "handler", obj
    asgi_attr = getattr(obj, "asgi", None)
    if asgi_attr is not None and callable(asgi_attr) and not inspect.isclass(obj):
        return "asgi", asgi_attr
    if not callable(obj) or inspect.isclass(obj):
        return None, None
    n = positional_params(obj)
    if is_async(obj) and n == 3:
        return "asgi", obj
    if n == 2:
        return "wsgi", obj
    if n is None and hint in ("asgi", "wsgi"):
        return hint, obj
    return None, None


def find_app(module, symbol, hint, rel):
    names = [symbol] if symbol else []
    names += [n for n in ("app", "application", "handler") if n not in names]
    for name in names:
        obj = getattr(module, name, None)
        if obj is not None:
            kind, app = classify(obj, hint)
            if kind is None:
                fail("%s: %s is neither an ASGI nor a WSGI application nor a "
                     "BaseHTTPRequestHandler subclass (an ASGI app is an async "
                     "callable(scope, receive, send), a WSGI app a "
                     "callable(environ, start_response))" % (rel, name))
            return name, app, kind
    for name, obj in vars(module).items():
        if name.lower() == "handler" and is_handler_class(obj):
            return name, obj, "handler"
    fail("%s: no app, application or handler found (expected an ASGI/WSGI app "
         "or a class handler(BaseHTTPRequestHandler))" % rel)


# ------------------------------------------------------ thread-based servers


class _Stop(Exception):
    pass


def _raise_stop(signum, frame):
    raise _Stop()


def serve_forever(server, label):
    """Run a socketserver-style server until SIGINT or SIGTERM."""
    signal.signal(signal.SIGINT, _raise_stop)
    signal.signal(signal.SIGTERM, _raise_stop)
    port = server.server_address[1]
    log("serving %s on http://127.0.0.1:%d" % (label, port))
    report_port(port)
    try:
        server.serve_forever(poll_interval=0.2)
    except (_Stop, KeyboardInterrupt):
        pass
    finally:
        server.server_close()


def run_handler(cls, rel):
    from http.server import ThreadingHTTPServer  # daemon_threads is True

    server = ThreadingHTTPServer(("127.0.0.1", 0), cls)
    serve_forever(server, "%s (BaseHTTPRequestHandler, http.server)" % rel)


# MAX_CHUNKED_BODY bounds a chunked request body read into memory: above
# the 4.5 MB the dev server lets through.
MAX_CHUNKED_BODY = 8 << 20


def _read_chunked(rfile):
    """The de-chunked body from rfile, or None when it is malformed or too
    large."""
    out = bytearray()
    while True:
        line = rfile.readline(65537)
        try:
            size = int(line.split(b";", 1)[0].strip(), 16)
        except ValueError:
            return None
        if size < 0 or len(out) + size > MAX_CHUNKED_BODY:
            return None
        if size == 0:
            while True:  # trailers, up to the blank line
                line = rfile.readline(65537)
                if line in (b"\r\n", b"\n", b""):
                    return bytes(out)
        data = rfile.read(size)
        if len(data) != size:
            return None
        out += data
        if rfile.readline(3) not in (b"\r\n", b"\n"):
            return None


def sized_input(app):
    """Hands the app its body as a file that ends at CONTENT_LENGTH, and
    its ConnectionErrors to the server as the app's errors.

    werkzeug and wsgiref pass the connection itself as wsgi.input, whose
    end never comes on a kept-alive connection: an app that reads it
    without a size (allowed when the server simulates the end, PEP 3333)
    would wait for good. Vercel and the Lambda adapter give a BytesIO of
    the body; the dev server always sends a sized (or de-chunked) one.
    """

    def wrapped(environ, start_response):
        if not environ.get("wsgi.input_terminated"):
            try:
                size = int(environ.get("CONTENT_LENGTH") or 0)
            except ValueError:
                size = 0
            body = environ["wsgi.input"].read(size) if size > 0 else b""
            environ["wsgi.input"] = io.BytesIO(body)
            environ["wsgi.input_terminated"] = True
        # The app's own ConnectionErrors (a refused connection to a
        # database) are handed on as RuntimeErrors: werkzeug takes a
        # ConnectionError for the client gone and leaves the request
        # without an answer. Those of the write callable are the
        # client's, and pass as they are.
        def start(status, headers, exc_info=None):
            write = start_response(status, headers, exc_info)

            def client_write(data):
                try:
                    return write(data)
                except ConnectionError as e:
                    e.lambdalens_client = True
                    raise

            return client_write

        try:
            result = app(environ, start)
        except ConnectionError as e:
            raise _apps(e)
        wrapper = environ.get("wsgi.file_wrapper")
        if isinstance(result, (list, tuple)) or isinstance(wrapper, type) and isinstance(result, wrapper):
            return result  # cannot raise; a file wrapper keeps the server's sendfile
        return _AppIterable(result)

    return wrapped


def _apps(e):
    """The app's ConnectionError as an error of the app, unless it is the
    client's (raised by the write callable)."""
    if getattr(e, "lambdalens_client", False):
        return e
    err = RuntimeError("the app raised %r" % e)
    err.__cause__ = e
    return err


class _AppIterable:
    """An app's response iterable whose ConnectionErrors are the app's
    (see sized_input); close() is passed on, as WSGI asks."""

    def __init__(self, result):
        self.result = result
        self.it = iter(result)

    def __iter__(self):
        return self

    def __next__(self):
        try:
            return next(self.it)
        except ConnectionError as e:
            raise _apps(e)

    def close(self):
        close = getattr(self.result, "close", None)
        if close is not None:
            close()


def run_wsgi(app, rel, builtin_only):
    app = sized_input(app)
    if not builtin_only and importlib.util.find_spec("werkzeug") is not None:
        from werkzeug.serving import make_server

        server = make_server("127.0.0.1", 0, app, threaded=True)
        serve_forever(server, "%s (wsgi, werkzeug)" % rel)
        return
    import socketserver
    from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

    class ThreadingWSGIServer(socketserver.ThreadingMixIn, WSGIServer):
        daemon_threads = True

    class Handler(WSGIRequestHandler):
        def log_message(self, format, *args):
            sys.stderr.write("%s - %s\n" % (self.address_string(), format % args))

        def parse_request(self):
            # wsgiref does not de-chunk request bodies, and the dev server
            # forwards bodies of unknown length chunked: read the body here
            # and hand the app a sized one.
            if not super().parse_request():
                return False
            if "chunked" not in (self.headers.get("Transfer-Encoding") or "").lower():
                return True
            body = _read_chunked(self.rfile)
            if body is None:
                self.send_error(400, "malformed chunked request body")
                return False
            del self.headers["Transfer-Encoding"]
            del self.headers["Content-Length"]
            self.headers["Content-Length"] = str(len(body))
            self.rfile = io.BytesIO(body)
            return True

    server = make_server("127.0.0.1", 0, app, server_class=ThreadingWSGIServer, handler_class=Handler)
    serve_forever(server, "%s (wsgi, wsgiref)" % rel)


# ------------------------------------------------------------------ uvicorn


def run_uvicorn(app, rel):
    import uvicorn

    sock = listen()
    port = sock.getsockname()[1]

    class Server(uvicorn.Server):
        async def startup(self, sockets=None):
            await super().startup(sockets=sockets)
            if not self.should_exit:
                log("serving %s (asgi, uvicorn) on http://127.0.0.1:%d" % (rel, port))
                report_port(port)

    config = uvicorn.Config(app, lifespan="auto", log_level="info")
    server = Server(config)
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:
        pass
    if not server.started:
        fail("%s: the ASGI application did not start" % rel)


# --------------------------------------------------------------------- main


def main(argv):
    p = argparse.ArgumentParser(prog="lambdalens_dev")
    p.add_argument("--root", required=True)
    p.add_argument("--file", required=True)
    p.add_argument("--kind", default="")
    p.add_argument("--symbol", default="")
    args = p.parse_args(argv)
    root = os.path.abspath(args.root)
    rel = args.file.replace(os.sep, "/")
    builtin_only = os.environ.get("LAMBDALENS_DEV_SERVER") == "builtin"
    serve_control(root)

    try:
        module = import_entry(root, rel)
    except SystemExit:
        raise
    except BaseException:
        print_user_traceback()
        sys.exit(EXIT_START_FAILURE)

    _, obj, kind = find_app(module, args.symbol, args.kind, rel)
    if kind == "handler":
        run_handler(obj, rel)
    elif kind == "wsgi":
        run_wsgi(obj, rel, builtin_only)
    elif not builtin_only and importlib.util.find_spec("uvicorn") is not None:
        run_uvicorn(obj, rel)
    else:
        load_sibling("lambdalens_asgi").run(obj, rel, sys.modules[__name__])


if __name__ == "__main__":
    main(sys.argv[1:])
