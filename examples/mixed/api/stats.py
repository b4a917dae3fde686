"""A Python function next to the Go one."""

import json
import statistics
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlparse


class handler(BaseHTTPRequestHandler):
    def do_GET(self):
        query = parse_qs(urlparse(self.path).query)
        values = [float(v) for v in query.get("v", ["1", "2", "3"])]
        data = json.dumps({"mean": statistics.mean(values), "n": len(values)}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(data)
