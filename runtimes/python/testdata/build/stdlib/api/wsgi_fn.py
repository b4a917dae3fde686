from api._lib.echo import COOKIES, describe

from . import sibling


def _partial():
    yield b"par"
    raise RuntimeError("boom from the WSGI app mid-body")


class _FailingClose(list):
    def close(self):
        raise RuntimeError("late failure from the WSGI app")


def app(environ, start_response):
    path = environ["PATH_INFO"]
    body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    if path.endswith("/boom"):
        raise RuntimeError("boom from the WSGI app")
    if path.endswith("/late"):
        # The body is produced whole, then close() raises: the response
        # stands.
        start_response("201 Created", [("Content-Type", "text/plain")])
        return _FailingClose([b"created"])
    if path.endswith("/partial"):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return _partial()
    if path.endswith("/missing"):
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not here"]
    if path.endswith("/bin"):
        start_response("200 OK", [("Content-Type", "application/octet-stream")])
        return [body]
    headers = [(k[5:].replace("_", "-").lower(), v) for k, v in environ.items() if k.startswith("HTTP_")]
    start_response("200 OK", [("Content-Type", "application/json")] + [("Set-Cookie", c) for c in COOKIES])
    return [describe("wsgi" + sibling.KIND_SUFFIX, environ["REQUEST_METHOD"], path, environ["QUERY_STRING"],
                     headers, body, environ.get("REMOTE_ADDR", ""))]
