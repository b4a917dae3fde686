"""Shared by the test functions: what a request looked like, as JSON."""

import json
from urllib.parse import parse_qs


def describe(kind, method, path, query, headers, body, remote, extra=None):
    """headers: a list of (name, value) pairs as the app saw them."""
    seen = {}
    for name, value in headers:
        seen.setdefault(name.lower(), []).append(value)
    out = {
        "kind": kind,
        "method": method,
        "path": path,
        "query": parse_qs(query, keep_blank_values=True),
        "host": ",".join(seen.get("host", [])),
        "cookie": "; ".join(seen.get("cookie", [])),
        "multi": ",".join(seen.get("x-multi", [])),
        "remote": remote,
        "body_len": len(body),
    }
    out.update(extra or {})
    return json.dumps(out).encode("utf-8")


COOKIES = ["s1=1; Path=/", "s2=two; Path=/; HttpOnly"]
