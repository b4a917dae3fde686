"""Serve a Request with a http.server.BaseHTTPRequestHandler subclass.

The handler class is run in-process against an in-memory connection: the
request is written out as HTTP/1.1 bytes, the handler reads them from its
rfile and writes its response to its wfile, and the bytes written are
parsed back with http.client. No socket, thread or server is involved, so
nothing outlives the invocation.
"""

import http.client
import io

from . import errors

# Request headers the adapter sets itself.
_HOP_HEADERS = frozenset(["content-length", "transfer-encoding", "connection", "keep-alive", "upgrade"])


class _Connection(object):
    """The socket a StreamRequestHandler expects, backed by memory."""

    def __init__(self, request_bytes, peer):
        self._rfile = io.BytesIO(request_bytes)
        self._peer = peer
        self.out = bytearray()

    def makefile(self, mode="r", *args, **kwargs):
        if "r" in mode:
            return self._rfile
        return _Writer(self)

    def sendall(self, data):
        self.out += data

    def send(self, data):
        self.out += data
        return len(data)

    def settimeout(self, timeout):
        pass

    def setsockopt(self, *args):
        pass

    def getpeername(self):
        return self._peer

    def getsockname(self):
        return ("127.0.0.1", 0)

    def shutdown(self, how):
        pass

    def close(self):
        pass


class _Writer(io.RawIOBase):
    def __init__(self, conn):
        self._conn = conn

    def writable(self):
        return True

    def write(self, b):
        self._conn.out += bytes(b)
        return len(b)


class _Server(object):
    """The bits of a socketserver.TCPServer a handler may look at."""

    def __init__(self, host, port):
        self.server_address = (host, port)
        self.server_name = host
        self.server_port = port


class _Replay(object):
    """A socket whose makefile() returns recorded bytes, for
    http.client.HTTPResponse."""

    def __init__(self, data):
        self._data = data

    def makefile(self, mode="rb", *args, **kwargs):
        return io.BytesIO(self._data)


def request_bytes(req):
    """The request as HTTP/1.1 bytes."""
    target = req.path + ("?" + req.query if req.query else "")
    lines = ["%s %s HTTP/1.1" % (req.method, target)]
    has_host = False
    for name, value in req.headers:
        if name in _HOP_HEADERS or "\r" in value or "\n" in value or "\r" in name or "\n" in name:
            continue
        if name == "host":
            if has_host:
                continue
            has_host = True
        lines.append("%s: %s" % (name, value))
    if not has_host:
        lines.append("host: %s" % req.host)
    if req.body or req.method in ("POST", "PUT", "PATCH"):
        lines.append("content-length: %d" % len(req.body))
    lines.append("connection: close")
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8", "surrogateescape")
    return head + req.body


def call(handler_class, req):
    """Run handler_class on req; returns (status, [(name, value)], body)."""
    conn = _Connection(request_bytes(req), (req.remote_addr or "127.0.0.1", 0))
    try:
        handler_class(conn, (req.remote_addr or "127.0.0.1", 0), _Server(req.host, int(req.port)))
    except Exception:
        # A whole response written before the exception has gone out on
        # a real server's socket: send it. Whole means a complete head and
        # a body as long as its Content-Length or chunks say; a body with
        # neither ends where the handler stopped, as it would when a
        # server closes the connection.
        try:
            answer = _parse(bytes(conn.out), req.method)
        except (http.client.HTTPException, RuntimeError):
            answer = None
        if answer is None:
            raise
        errors.after_response(req, "handler")
        return answer
    return _parse(bytes(conn.out), req.method)


def _parse(raw, method):
    """The response in raw as (status, headers, body). Raises
    http.client.HTTPException when its head or its framed body (by
    Content-Length or chunks) is incomplete."""
    if not raw:
        raise RuntimeError("the handler class wrote no response")
    resp = http.client.HTTPResponse(_Replay(raw), method=method)
    resp.begin()
    body = resp.read() if method != "HEAD" else b""
    headers = [(n, _utf8(v)) for n, v in resp.getheaders()
               if n.lower() not in ("connection", "transfer-encoding", "keep-alive")]
    return resp.status, headers, body


def _utf8(value):
    """http.client decodes header bytes as latin-1; show UTF-8 as such."""
    try:
        return value.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return value
