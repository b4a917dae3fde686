"""Built-in ASGI server of the lambdalens dev shim (standard library only).

A small asyncio HTTP/1.1 server used when the project's interpreter has no
uvicorn. It supports what dev needs from the ASGI HTTP protocol: request
bodies streamed to the app (Content-Length or chunked, Expect: 100-continue),
streamed responses (chunked when the app gives no Content-Length),
keep-alive, http.disconnect, and the lifespan protocol (startup before the
port is reported, shutdown on SIGINT/SIGTERM). WebSockets are not served.
"""

import asyncio
import signal
import sys
import traceback
from http.server import BaseHTTPRequestHandler
from urllib.parse import unquote

MAX_HEADER_BYTES = 64 * 1024
# STOP_GRACE_SECONDS is how long in-flight requests may finish after a stop
# signal; lambdalens sends SIGKILL 2 seconds after SIGINT by default.
STOP_GRACE_SECONDS = 1.0

# host is the main shim module (set by run).
host = None


class ConnReader:
    """Buffered reads over an asyncio.StreamReader, with lookahead kept."""

    def __init__(self, reader):
        self.reader = reader
        self.buf = bytearray()
        self.eof = False

    async def fill(self):
        data = await self.reader.read(65536)
        if not data:
            self.eof = True
        self.buf += data
        return bool(data)

    async def read_until(self, sep, limit):
        while True:
            i = self.buf.find(sep)
            if i >= 0:
                out = bytes(self.buf[:i])
                del self.buf[: i + len(sep)]
                return out
            if len(self.buf) > limit:
                raise ValueError("header too large")
            if not await self.fill():
                return None

    async def read_some(self, n):
        if not self.buf and not await self.fill():
            return b""
        out = bytes(self.buf[:n])
        del self.buf[:n]
        return out


class BadRequest(Exception):
    pass


def parse_head(head):
    lines = head.decode("latin-1").split("\r\n")
    try:
        method, target, version = lines[0].split(" ", 2)
    except ValueError:
        raise BadRequest("malformed request line")
    if not version.startswith("HTTP/1."):
        raise BadRequest("unsupported protocol " + version)
    headers = []
    for line in lines[1:]:
        if not line:
            continue
        name, sep, value = line.partition(":")
        if not sep or not name or name != name.strip():
            raise BadRequest("malformed header line")
        headers.append((name.lower().encode("latin-1"), value.strip().encode("latin-1")))
    return method.upper(), target, version[5:], headers


def header(headers, name):
    for k, v in headers:
        if k == name:
            return v
    return None


class BodyReader:
    """Yields request body chunks (Content-Length or chunked)."""

    def __init__(self, conn, headers):
        self.conn = conn
        te = header(headers, b"transfer-encoding")
        self.chunked = te is not None and b"chunked" in te.lower()
        cl = header(headers, b"content-length")
        if not self.chunked and cl is not None:
            try:
                self.remaining = int(cl)
            except ValueError:
                raise BadRequest("bad content-length")
            if self.remaining < 0:
                raise BadRequest("bad content-length")
        else:
            self.remaining = 0
        self.chunk_left = 0
        self.done = not self.chunked and self.remaining == 0

    async def next(self):
        if self.done:
            return b""
        if not self.chunked:
            data = await self.conn.read_some(min(self.remaining, 65536))
            if not data:
                raise BadRequest("body ended early")
            self.remaining -= len(data)
            self.done = self.remaining == 0
            return data
        if self.chunk_left == 0:
            line = await self.conn.read_until(b"\r\n", 4096)
            if line is None:
                raise BadRequest("body ended early")
            try:
                size = int(line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                raise BadRequest("bad chunk size")
            if size == 0:
                while True:  # trailers
                    t = await self.conn.read_until(b"\r\n", MAX_HEADER_BYTES)
                    if t is None or t == b"":
                        break
                self.done = True
                return b""
            self.chunk_left = size
        data = await self.conn.read_some(min(self.chunk_left, 65536))
        if not data:
            raise BadRequest("body ended early")
        self.chunk_left -= len(data)
        if self.chunk_left == 0:
            if await self.conn.read_until(b"\r\n", 2) is None:
                raise BadRequest("body ended early")
        return data


REASONS = {c: BaseHTTPRequestHandler.responses[c][0] for c in BaseHTTPRequestHandler.responses}


class Exchange:
    """One HTTP request/response driven through an ASGI app."""

    def __init__(self, server, conn, writer, method, target, version, headers):
        self.server = server
        self.conn = conn
        self.writer = writer
        self.method = method
        self.version = version
        self.headers = headers
        self.body = BodyReader(conn, headers)
        self.expect_continue = (header(headers, b"expect") or b"").lower() == b"100-continue"
        path, _, query = target.partition("?")
        self.raw_path = path.encode("latin-1")
        self.query = query.encode("latin-1")
        self.started = False
        self.finished = False
        self.status = 500
        self.out_headers = []
        self.chunked = False
        self.head_sent = False
        self.no_body = method == "HEAD"
        conn_hdr = (header(headers, b"connection") or b"").lower()
        self.keep_alive = (version == "1.1" and b"close" not in conn_hdr) or (
            version == "1.0" and b"keep-alive" in conn_hdr)
        self.disconnected = asyncio.Event()
        # client_gone: the client went away (not set by a finished
        # response, which also ends the wait for http.disconnect).
        self.client_gone = False
        self.watcher = None
        # ASGI: the first receive() is an http.request, even for a request
        # without a body (Django's handler reads it on every request).
        self.request_sent = False

    def scope(self):

        peer = self.writer.get_extra_info("peername") or ("127.0.0.1", 0)
        return {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": self.version,
            "method": self.method,
            "scheme": "http",
            "path": unquote(self.raw_path.decode("latin-1"), encoding="utf-8", errors="replace"),
            "raw_path": self.raw_path,
            "query_string": self.query,
            "root_path": "",
            "headers": list(self.headers),
            "client": (peer[0], peer[1]),
            "server": ("127.0.0.1", self.server.port),
            "state": dict(self.server.state),
        }

    async def receive(self):
        if not self.body.done or not self.request_sent:
            self.request_sent = True
            if self.expect_continue and not self.body.done:
                self.expect_continue = False
                self.writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            data = await self.body.next()
            return {"type": "http.request", "body": data, "more_body": not self.body.done}
        if self.watcher is None and not self.finished:
            self.watcher = asyncio.ensure_future(self.watch_disconnect())
        await self.disconnected.wait()
        return {"type": "http.disconnect"}

    async def watch_disconnect(self):
        try:
            while not self.finished and len(self.conn.buf) < MAX_HEADER_BYTES:
                if not await self.conn.fill():
                    self.client_gone = True
                    break
        except (ConnectionError, OSError):
            self.client_gone = True
        self.disconnected.set()

    async def send(self, message):
        t = message["type"]
        if t == "http.response.start":
            if self.started:
                raise RuntimeError("http.response.start sent twice")
            self.started = True
            self.status = int(message["status"])
            self.out_headers = [(bytes(k).lower(), bytes(v)) for k, v in message.get("headers", [])]
            if self.status in (204, 304) or 100 <= self.status < 200:
                self.no_body = True
        elif t == "http.response.body":
            if not self.started:
                raise RuntimeError("http.response.body before http.response.start")
            if self.finished:
                return
            body = bytes(message.get("body", b""))
            more = bool(message.get("more_body", False))
            if not self.head_sent:
                self.write_head(None if more else len(body))
            if body and not self.no_body:
                self.writer.write(b"%x\r\n%s\r\n" % (len(body), body) if self.chunked else body)
            if not more:
                self.finish()
            try:
                await self.writer.drain()
            except (ConnectionError, OSError):
                self.client_gone = True
                self.disconnected.set()
                raise
        else:
            raise RuntimeError("unexpected ASGI message " + repr(t))

    def write_head(self, known_length):
        self.head_sent = True
        names = {k for k, _ in self.out_headers}
        extra = []
        if b"content-length" not in names and not self.no_body:
            if known_length is not None:
                extra.append((b"content-length", b"%d" % known_length))
            elif self.version == "1.1":
                self.chunked = True
                extra.append((b"transfer-encoding", b"chunked"))
            else:
                self.keep_alive = False
        if not self.keep_alive or self.server.stopping:
            self.keep_alive = False
            extra.append((b"connection", b"close"))
        reason = REASONS.get(self.status, "")
        lines = [b"HTTP/1.1 %d %s" % (self.status, reason.encode("latin-1"))]
        for k, v in self.out_headers + extra:
            lines.append(k + b": " + v)
        self.writer.write(b"\r\n".join(lines) + b"\r\n\r\n")

    def finish(self):
        if self.chunked and not self.no_body:
            self.writer.write(b"0\r\n\r\n")
        self.finished = True
        self.disconnected.set()

    def internal_error(self):
        """Answers 500 and closes, for an app that failed before its
        response started."""
        self.status = 500
        self.out_headers = [(b"content-type", b"text/plain; charset=utf-8")]
        self.no_body = self.method == "HEAD"  # not a 204 the app had started
        self.started = True
        self.keep_alive = False
        body = b"Internal Server Error\n"
        self.write_head(len(body))
        if not self.no_body:  # HEAD
            self.writer.write(body)
        self.finished = True

    async def run(self, app):
        broken = False
        try:
            await app(self.scope(), self.receive, self.send)
        except Exception as e:
            if isinstance(e, OSError) and self.client_gone:
                broken = True  # the client went away (ConnectionError is an OSError)
            else:
                # The app's own error (FileNotFoundError is an OSError
                # too). Until the head is out, it can still be a 500.
                traceback.print_exc()
                broken = self.head_sent
                if not self.head_sent:
                    self.internal_error()
        if self.watcher is not None:
            self.watcher.cancel()
            await asyncio.gather(self.watcher, return_exceptions=True)
        if broken:
            # Close without completing the response so that the client
            # sees a truncated body rather than a clean one.
            self.keep_alive = False
            return
        if not self.started and self.client_gone:
            # The client left (a long poll that returns on
            # http.disconnect): no one to answer, nothing to report.
            self.keep_alive = False
            return
        if not self.started:
            # As uvicorn: the app's bug is said, and the client gets a 500
            # rather than a closed connection (a 502 from the dev server).
            sys.stderr.write("ERROR: ASGI callable returned without starting response.\n")
            sys.stderr.flush()
            self.internal_error()
        if not self.finished:
            if not self.head_sent:
                self.write_head(0)
            self.finish()
        if self.expect_continue:
            self.keep_alive = False  # the client may still be waiting to send
        # Drain an unread request body so the next request parses.
        while self.keep_alive and not self.body.done:
            await self.body.next()


class BuiltinASGIServer:
    def __init__(self, app, rel):
        self.app = app
        self.rel = rel
        self.state = {}
        self.port = 0
        self.stopping = False
        self.tasks = set()
        self.lifespan_queue = None
        self.lifespan_task = None

    async def lifespan_startup(self):
        queue = asyncio.Queue()
        started = asyncio.get_running_loop().create_future()
        self.lifespan_queue = queue
        self.lifespan_done = asyncio.Event()

        async def receive():
            return await queue.get()

        async def send(message):
            t = message["type"]
            if t in ("lifespan.startup.complete", "lifespan.startup.failed") and not started.done():
                started.set_result(message)
            elif t in ("lifespan.shutdown.complete", "lifespan.shutdown.failed"):
                if t.endswith("failed"):
                    host.log("lifespan shutdown failed: %s" % message.get("message", ""))
                self.lifespan_done.set()

        async def run():
            scope = {"type": "lifespan", "asgi": {"version": "3.0", "spec_version": "2.0"}, "state": self.state}
            try:
                await self.app(scope, receive, send)
            except asyncio.CancelledError:
                pass
            except Exception as exc:
                if not started.done():
                    # Like uvicorn's lifespan="auto": an app that raises
                    # before answering startup does not support lifespan.
                    host.log("lifespan not supported by the app (%s: %s)" % (type(exc).__name__, exc))
                    started.set_result(None)
                    return
                message = started.result()
                if message is None or message["type"] != "lifespan.startup.failed":
                    traceback.print_exc()
            finally:
                self.lifespan_done.set()
                if not started.done():
                    started.set_result(None)

        queue.put_nowait({"type": "lifespan.startup"})
        self.lifespan_task = asyncio.ensure_future(run())
        message = await started
        if message is None:
            self.lifespan_queue = None
            return True
        if message["type"] == "lifespan.startup.failed":
            text = message.get("message", "")
            if text:
                print(text, file=sys.stderr, flush=True)
            return False
        return True

    async def lifespan_shutdown(self):
        if self.lifespan_queue is None:
            return
        self.lifespan_queue.put_nowait({"type": "lifespan.shutdown"})
        try:
            await asyncio.wait_for(self.lifespan_done.wait(), 5)
        except asyncio.TimeoutError:
            host.log("lifespan shutdown did not complete within 5s")
        self.lifespan_task.cancel()

    async def handle(self, reader, writer):
        task = asyncio.current_task()
        self.tasks.add(task)
        conn = ConnReader(reader)
        try:
            while not self.stopping:
                try:
                    head = await conn.read_until(b"\r\n\r\n", MAX_HEADER_BYTES)
                    if head is None:
                        break
                    if not head.strip():
                        continue
                    method, target, version, headers = parse_head(head)
                    ex = Exchange(self, conn, writer, method, target, version, headers)
                except (BadRequest, ValueError) as exc:
                    msg = ("%s\n" % exc).encode()
                    writer.write(b"HTTP/1.1 400 Bad Request\r\ncontent-type: text/plain\r\n"
                                 b"content-length: %d\r\nconnection: close\r\n\r\n%s" % (len(msg), msg))
                    break
                await ex.run(self.app)
                await writer.drain()
                if not ex.keep_alive:
                    break
        except (ConnectionError, OSError, BadRequest):
            pass
        except asyncio.CancelledError:
            pass
        finally:
            self.tasks.discard(task)
            try:
                writer.close()
            except Exception:
                pass

    async def serve(self):
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                loop.add_signal_handler(sig, stop.set)
            except (NotImplementedError, RuntimeError):
                signal.signal(sig, lambda *_: loop.call_soon_threadsafe(stop.set))
        if not await self.lifespan_startup():
            host.fail("%s: ASGI lifespan startup failed" % self.rel)
        sock = host.listen()
        self.port = sock.getsockname()[1]
        server = await asyncio.start_server(self.handle, sock=sock, limit=MAX_HEADER_BYTES)
        host.log("serving %s (asgi, built-in server) on http://127.0.0.1:%d" % (self.rel, self.port))
        host.report_port(self.port)
        await stop.wait()
        self.stopping = True
        server.close()
        if self.tasks:
            _, pending = await asyncio.wait(list(self.tasks), timeout=STOP_GRACE_SECONDS)
            for t in pending:
                t.cancel()
        await self.lifespan_shutdown()


def run(app, rel, shim):
    """Serve app until SIGINT/SIGTERM. shim is the main shim module, whose
    log, fail, listen and report_port helpers are used."""
    global host
    host = shim
    asyncio.run(BuiltinASGIServer(app, rel).serve())
