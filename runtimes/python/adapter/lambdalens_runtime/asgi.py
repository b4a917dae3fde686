"""Serve Requests with an ASGI 3 application.

One event loop lives as long as the process (the Lambda execution
environment), so that connections, caches and tasks an app keeps on the
loop survive between invocations. The lifespan protocol runs once per
process: startup before the first request, shutdown when the interpreter
exits. An app that does not support lifespan (it raises on the lifespan
scope before answering) is served without it, as uvicorn's "auto" mode
does.
"""

import asyncio
import atexit
import sys
import traceback
from urllib.parse import unquote_to_bytes

from . import errors

# STARTUP_TIMEOUT bounds lifespan startup (Vercel's runtime waits 30 s).
STARTUP_TIMEOUT = 30.0
# SHUTDOWN_TIMEOUT bounds lifespan shutdown at exit.
SHUTDOWN_TIMEOUT = 5.0


def _log(msg):
    print("lambdalens: " + msg, file=sys.stderr, flush=True)


class LifespanFailed(Exception):
    """The app answered lifespan.startup.failed, or startup timed out."""


def new_loop():
    """Make the process's event loop and set it as the current one."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    return loop


class Runner(object):
    """Serves an ASGI app on loop, the event loop current while the app's
    module was imported (so that objects bound to it at import time, as
    asyncio primitives are on Python 3.9, work)."""

    def __init__(self, app, loop):
        self.app = app
        self.loop = loop
        self.state = {}
        self.started = False
        self.lifespan = None  # the lifespan task, while it runs
        self._queue = None
        self._startup = None
        self._shutdown = None
        atexit.register(self.close)

    # ------------------------------------------------------------- lifespan

    def start(self):
        """Run lifespan startup unless done already. Raises LifespanFailed."""
        if self.started:
            return
        self.loop.run_until_complete(self._start())
        self.started = True

    async def _start(self):
        self._queue = asyncio.Queue()
        self._startup = self.loop.create_future()
        self._shutdown = self.loop.create_future()
        scope = {
            "type": "lifespan",
            "asgi": {"version": "3.0", "spec_version": "2.0"},
            "state": self.state,
        }
        self.lifespan = self.loop.create_task(self._run_lifespan(scope))
        await self._queue.put({"type": "lifespan.startup"})
        done, _ = await asyncio.wait([self._startup], timeout=STARTUP_TIMEOUT)
        if not done:
            self.lifespan.cancel()
            self.lifespan = None
            raise LifespanFailed("ASGI lifespan startup did not complete within %gs" % STARTUP_TIMEOUT)
        outcome, message = self._startup.result()
        if outcome == "failed":
            self.lifespan = None
            raise LifespanFailed("ASGI lifespan startup failed: %s" % (message or "no message"))
        if outcome == "unsupported":
            self.lifespan = None

    async def _run_lifespan(self, scope):
        async def receive():
            return await self._queue.get()

        async def send(message):
            t = message.get("type")
            if t == "lifespan.startup.complete":
                _settle(self._startup, ("complete", None))
            elif t == "lifespan.startup.failed":
                _settle(self._startup, ("failed", message.get("message", "")))
            elif t in ("lifespan.shutdown.complete", "lifespan.shutdown.failed"):
                if t.endswith("failed"):
                    _log("ASGI lifespan shutdown failed: %s" % message.get("message", ""))
                _settle(self._shutdown, None)

        try:
            await self.app(scope, receive, send)
        except asyncio.CancelledError:
            raise
        except BaseException:
            if not self._startup.done():
                # No answer to startup: the app does not do lifespan.
                _settle(self._startup, ("unsupported", None))
            else:
                _log("ASGI lifespan task raised:\n" + traceback.format_exc())
        finally:
            _settle(self._startup, ("unsupported", None))
            _settle(self._shutdown, None)

    def close(self):
        """Run lifespan shutdown (bounded) and close the loop."""
        if self.loop.is_closed():
            return
        try:
            if self.lifespan is not None and not self.lifespan.done():
                self.loop.run_until_complete(self._stop())
        except Exception:
            _log("ASGI lifespan shutdown raised:\n" + traceback.format_exc())
        finally:
            self.loop.close()

    async def _stop(self):
        await self._queue.put({"type": "lifespan.shutdown"})
        await asyncio.wait([self._shutdown], timeout=SHUTDOWN_TIMEOUT)
        if not self.lifespan.done():
            self.lifespan.cancel()

    # ----------------------------------------------------------------- http

    def call(self, req):
        """Serve req; returns (status, [(name, value)], body bytes)."""
        self.start()
        return self.loop.run_until_complete(self._http(req))

    def scope_for(self, req):
        host = req.host
        if host.startswith("["):
            server_host = host.split("]", 1)[0] + "]"
        else:
            server_host = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
        return {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": "1.1",
            "method": req.method,
            "scheme": req.scheme,
            "path": unquote_to_bytes(req.path).decode("utf-8", "replace"),
            "raw_path": req.path.encode("utf-8"),
            "query_string": req.query.encode("utf-8"),
            "root_path": "",
            "headers": [(n.encode("latin-1", "replace"), v.encode("utf-8")) for n, v in req.headers],
            "client": (req.remote_addr, 0) if req.remote_addr else None,
            "server": (server_host, int(req.port)),
            "state": dict(self.state),
            "extensions": {},
            "aws.event": req.event,
            "aws.context": req.context,
        }

    async def _http(self, req):
        scope = self.scope_for(req)
        body = req.body
        done = asyncio.Event()
        response = {"status": None, "headers": [], "chunks": [], "complete": False}
        delivered = [False]

        async def receive():
            if not delivered[0]:
                delivered[0] = True
                return {"type": "http.request", "body": body, "more_body": False}
            await done.wait()
            return {"type": "http.disconnect"}

        async def send(message):
            t = message.get("type")
            if t == "http.response.start":
                if response["status"] is not None:
                    raise RuntimeError("ASGI app sent http.response.start twice")
                response["status"] = int(message["status"])
                response["headers"] = list(message.get("headers") or [])
            elif t == "http.response.body":
                if response["status"] is None:
                    raise RuntimeError("ASGI app sent http.response.body before http.response.start")
                chunk = message.get("body") or b""
                if chunk:
                    response["chunks"].append(bytes(chunk))
                if not message.get("more_body", False):
                    response["complete"] = True
                    done.set()

        try:
            await self.app(scope, receive, send)
        except Exception:
            if not response["complete"]:
                raise
            # A background task failed after the last body message: a
            # server has sent the response by then.
            errors.after_response(req, "asgi")
        finally:
            done.set()
        if response["status"] is None:
            raise RuntimeError("the ASGI application returned without sending a response")
        if not response["complete"]:
            raise RuntimeError("the ASGI application returned before finishing its response body")
        headers = [(_str(n), _str(v)) for n, v in response["headers"]]
        return response["status"], headers, b"".join(response["chunks"])


def _str(b):
    if isinstance(b, str):
        return b
    try:
        return bytes(b).decode("utf-8")
    except UnicodeDecodeError:
        return bytes(b).decode("latin-1")


def _settle(future, value):
    if future is not None and not future.done():
        future.set_result(value)
