"""Serve a Request with a WSGI application (PEP 3333)."""

import io
import sys
from urllib.parse import unquote_to_bytes

from . import errors


def _native(value):
    """A PEP 3333 native string: the UTF-8 bytes the value had on the wire,
    decoded as latin-1."""
    return value.encode("utf-8", "surrogateescape").decode("latin-1")


def _from_native(value):
    """The inverse of _native for response headers: latin-1 bytes shown as
    UTF-8 when they are, else as latin-1."""
    raw = value.encode("latin-1", "replace")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return value


# Headers about the connection the event came over, not the request.
_HOP_BY_HOP = frozenset(("transfer-encoding", "connection", "keep-alive", "te", "upgrade", "proxy-connection"))


def environ_for(req):
    """The WSGI environ of a Request."""
    environ = {
        "REQUEST_METHOD": req.method,
        "SCRIPT_NAME": "",
        "PATH_INFO": unquote_to_bytes(req.path).decode("latin-1"),
        "QUERY_STRING": _native(req.query),
        "SERVER_NAME": _native(req.host.rsplit(":", 1)[0] if req.host.count(":") == 1 else req.host),
        "SERVER_PORT": req.port,
        "SERVER_PROTOCOL": "HTTP/1.1",
        "CONTENT_LENGTH": str(len(req.body)),
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": req.scheme,
        "wsgi.input": io.BytesIO(req.body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        # The whole body is in wsgi.input, already de-chunked.
        "wsgi.input_terminated": True,
        "aws.event": req.event,
        "aws.context": req.context,
    }
    if req.remote_addr:
        environ["REMOTE_ADDR"] = req.remote_addr
    for name, value in req.headers:
        if "_" in name:
            # HTTP_X_A would be ambiguous between X-A and X_A; servers
            # (gunicorn, werkzeug) drop such headers too.
            continue
        if name == "content-type":
            environ["CONTENT_TYPE"] = _native(value)
            continue
        if name == "content-length" or name in _HOP_BY_HOP:
            # The event's body is whole: a transfer-encoding header left in
            # makes werkzeug ignore CONTENT_LENGTH and read nothing.
            continue
        key = "HTTP_" + name.upper().replace("-", "_")
        value = _native(value)
        if key in environ:
            sep = "; " if name == "cookie" else ","
            environ[key] = environ[key] + sep + value
        else:
            environ[key] = value
    return environ


def call(app, req):
    """Run app on req and return (status, [(name, value)], body bytes)."""
    state = {"status": None, "headers": None, "sent": False}
    chunks = []

    def start_response(status, headers, exc_info=None):
        if exc_info is not None:
            try:
                if state["sent"]:
                    raise exc_info[1].with_traceback(exc_info[2])
            finally:
                exc_info = None
        elif state["status"] is not None:
            raise AssertionError("start_response called twice without exc_info")
        state["status"] = status
        state["headers"] = list(headers)
        return write

    def write(data):
        if state["status"] is None:
            raise AssertionError("write() called before start_response()")
        state["sent"] = True
        if data:
            chunks.append(bytes(data))

    result = app(environ_for(req), start_response)
    close = getattr(result, "close", None)
    try:
        for chunk in result:
            if chunk:
                state["sent"] = True
                chunks.append(bytes(chunk))
    except BaseException:
        if close is not None:
            close()
        raise
    if close is not None:
        try:
            close()
        except Exception:
            if state["status"] is None:
                raise
            # The body was produced whole: a server has sent it by the
            # time close() runs.
            errors.after_response(req, "wsgi")
    if state["status"] is None:
        raise RuntimeError("the WSGI application returned without calling start_response")
    try:
        code = int(str(state["status"]).split(" ", 1)[0])
    except ValueError:
        raise RuntimeError("the WSGI application sent an invalid status %r" % (state["status"],))
    headers = [(str(n), _from_native(str(v))) for n, v in state["headers"]]
    return code, headers, b"".join(chunks)
