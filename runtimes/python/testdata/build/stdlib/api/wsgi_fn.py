from api._lib.echo import COOKIES, describe

from . import sibling


def app(environ, start_response):
    path = environ["PATH_INFO"]
    body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    if path.endswith("/boom"):
        raise RuntimeError("boom from the WSGI app")
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
