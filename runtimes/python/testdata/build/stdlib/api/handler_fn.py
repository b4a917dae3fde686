from http.server import BaseHTTPRequestHandler

from api._lib.echo import COOKIES, describe

from . import sibling


class handler(BaseHTTPRequestHandler):
    def _serve(self):
        path, _, query = self.path.partition("?")
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length) if length else b""
        if path.endswith("/boom"):
            raise RuntimeError("boom from the handler class")
        if path.endswith("/late"):
            # A complete response, then an exception: the response stands.
            self.send_response(201)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", "7")
            self.end_headers()
            self.wfile.write(b"created")
            raise RuntimeError("late failure from the handler class")
        if path.endswith("/partial"):
            self.send_response(200)
            self.send_header("Content-Length", "10")
            self.end_headers()
            self.wfile.write(b"par")
            raise RuntimeError("boom from the handler class mid-body")
        if path.endswith("/missing"):
            self.send_response(404)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            self.wfile.write(b"not here")
            return
        self.send_response(200)
        if path.endswith("/bin"):
            self.send_header("Content-Type", "application/octet-stream")
            self.end_headers()
            self.wfile.write(body)
            return
        self.send_header("Content-Type", "application/json")
        for c in COOKIES:
            self.send_header("Set-Cookie", c)
        self.end_headers()
        self.wfile.write(describe("handler" + sibling.KIND_SUFFIX, self.command, path, query,
                                  list(self.headers.items()), body, self.client_address[0]))

    do_GET = _serve
    do_POST = _serve
