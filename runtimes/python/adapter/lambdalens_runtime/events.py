"""Lambda events in, Lambda responses out.

Three event shapes are accepted, told apart the way Vercel's Node bridge
does:

  * "vercel": Vercel's invocation payload {"Action": "Invoke", "body":
    "<json>"}, whose body is a JSON string holding method, path (with the
    query), host, headers (a string or a list of strings per name),
    encoding ("base64" or absent) and body;
  * "apigw-v2": API Gateway HTTP API payload 2.0, which is also the Lambda
    Function URL event (version "2.0", or requestContext.http.method);
  * "apigw-v1": API Gateway REST API proxy payload 1.0 (httpMethod).

Anything else raises InvalidEvent, which the managed runtime reports as a
function error.

Each shape is answered in its own format:

  * vercel: {"statusCode", "headers": {name: [values]}, "body",
    "encoding": "base64" when the body is base64};
  * apigw-v2: {"statusCode", "headers": {name: "v1,v2"}, "cookies":
    [Set-Cookie values], "body", "isBase64Encoded"};
  * apigw-v1: {"statusCode", "headers": {name: last value},
    "multiValueHeaders": {name: [values]}, "body", "isBase64Encoded"}.

A body is sent as text when it is valid UTF-8 of a textual media type and
not content-encoded, and as base64 otherwise.
"""

import base64
import binascii
import ipaddress
import json
from urllib.parse import quote, urlencode

KIND_VERCEL = "vercel"
KIND_APIGW_V2 = "apigw-v2"
KIND_APIGW_V1 = "apigw-v1"


class InvalidEvent(Exception):
    """The event is not one of the three shapes, or is malformed."""


class Request(object):
    """One HTTP request, whatever event it came from.

    path is the percent-encoded path without the query; query is the raw
    query string without "?"; headers are (lower-case name, value) pairs in
    order, several values of a name kept apart; body is bytes.
    """

    __slots__ = ("method", "path", "query", "headers", "body", "host",
                 "port", "scheme", "remote_addr", "event", "context")

    def __init__(self, method, path, query, headers, body, host, port,
                 scheme, remote_addr):
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
        self.host = host
        self.port = port
        self.scheme = scheme
        self.remote_addr = remote_addr
        self.event = None
        self.context = None

    def header(self, name):
        """The first value of header name (lower case), or ""."""
        for n, v in self.headers:
            if n == name:
                return v
        return ""


def parse_event(event):
    """Return (kind, Request) for a Lambda event, or raise InvalidEvent."""
    if not isinstance(event, dict):
        raise InvalidEvent("the event is not a JSON object but %s" % type(event).__name__)
    if "Action" in event:
        return KIND_VERCEL, _parse_vercel(event)
    ctx = event.get("requestContext")
    http = ctx.get("http") if isinstance(ctx, dict) else None
    if event.get("version") == "2.0" or (isinstance(http, dict) and http.get("method")):
        return KIND_APIGW_V2, _parse_v2(event)
    if "httpMethod" in event:
        return KIND_APIGW_V1, _parse_v1(event)
    keys = sorted(str(k) for k in event)[:10]
    raise InvalidEvent(
        "unknown event shape (top-level keys %s): expected a Vercel invocation "
        "payload (\"Action\": \"Invoke\"), an API Gateway HTTP API 2.0 or Function "
        "URL event, or an API Gateway REST API (payload 1.0) event" % keys)


def _text(value, what):
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidEvent("%s is %s, want a string" % (what, type(value).__name__))
    return value


def _decode_body(body, is_base64, what):
    body = _text(body, what)
    if not is_base64:
        return body.encode("utf-8")
    try:
        return base64.b64decode(body + "=" * (-len(body) % 4), validate=True)
    except (binascii.Error, ValueError) as e:
        raise InvalidEvent("%s is not valid base64: %s" % (what, e))


def _header_pairs(single, multi, what):
    """(lower-case name, value) pairs from a map of strings and a map of
    lists; a name present in multi is taken from there only."""
    pairs = []
    seen = set()
    if multi is not None and not isinstance(multi, dict):
        raise InvalidEvent("%s multi-value headers are not an object" % what)
    for name, values in (multi or {}).items():
        if values is None:
            continue
        if not isinstance(values, list):
            values = [values]
        lname = str(name).lower()
        seen.add(lname)
        for v in values:
            pairs.append((lname, _text(v, "header %s" % name)))
    if single is not None and not isinstance(single, dict):
        raise InvalidEvent("%s headers are not an object" % what)
    for name, value in (single or {}).items():
        lname = str(name).lower()
        if lname in seen or value is None:
            continue
        if isinstance(value, list):
            for v in value:
                pairs.append((lname, _text(v, "header %s" % name)))
        else:
            pairs.append((lname, _text(value, "header %s" % name)))
    return pairs


def _first_ip(*candidates):
    """The first candidate that is an IP address, or ""."""
    for c in candidates:
        c = (c or "").strip()
        if not c:
            continue
        try:
            return str(ipaddress.ip_address(c))
        except ValueError:
            pass
        # "[v6]:port" or "v4:port"
        host = c.rsplit(":", 1)[0].strip("[]")
        try:
            return str(ipaddress.ip_address(host))
        except ValueError:
            continue
    return ""


def _first_hop(xff):
    return (xff or "").split(",")[0].strip()


def _host_port_scheme(headers_get, host, default_scheme):
    scheme = (headers_get("x-forwarded-proto").split(",")[0].strip().lower()
              or default_scheme)
    port = headers_get("x-forwarded-port").split(",")[0].strip()
    if not port.isdigit():
        port = "443" if scheme == "https" else "80"
    host = headers_get("host") or host or "localhost"
    return host, port, scheme


def _parse_vercel(event):
    if event.get("Action") != "Invoke":
        raise InvalidEvent("Vercel payload with Action %r: only \"Invoke\" is supported" % (event.get("Action"),))
    raw = event.get("body")
    if isinstance(raw, (str, bytes)):
        try:
            payload = json.loads(raw)
        except ValueError as e:
            raise InvalidEvent("the Vercel payload's body is not JSON: %s" % e)
    else:
        payload = raw
    if not isinstance(payload, dict):
        raise InvalidEvent("the Vercel payload's body is not a JSON object")
    headers = _header_pairs(payload.get("headers"), None, "the Vercel payload's")
    req = Request(None, None, None, headers, None, None, None, None, None)
    method = _text(payload.get("method"), "method") or "GET"
    target = _text(payload.get("path"), "path") or "/"
    path, _, query = target.partition("?")
    encoding = payload.get("encoding")
    body = _decode_body(payload.get("body"), encoding == "base64", "the Vercel payload's body")
    host, port, scheme = _host_port_scheme(req.header, _text(payload.get("host"), "host"), "http")
    remote = _first_ip(_first_hop(req.header("x-forwarded-for")), req.header("x-real-ip"),
                       _text(payload.get("true-client-ip"), "true-client-ip"))
    req.method, req.path, req.query, req.body = method.upper(), path or "/", query, body
    req.host, req.port, req.scheme, req.remote_addr = host, port, scheme, remote
    return req


def _parse_v2(event):
    ctx = event.get("requestContext") or {}
    http = ctx.get("http") or {}
    if not isinstance(http, dict):
        raise InvalidEvent("requestContext.http is not an object")
    headers = _header_pairs(event.get("headers"), None, "the API Gateway")
    cookies = event.get("cookies") or []
    if not isinstance(cookies, list):
        raise InvalidEvent("cookies is not a list")
    if cookies:
        headers = [(n, v) for n, v in headers if n != "cookie"]
        headers.append(("cookie", "; ".join(_text(c, "cookie") for c in cookies)))
    req = Request(None, None, None, headers, None, None, None, None, None)
    method = _text(http.get("method"), "requestContext.http.method") or "GET"
    path = _text(event.get("rawPath"), "rawPath") or _text(http.get("path"), "requestContext.http.path") or "/"
    query = _text(event.get("rawQueryString"), "rawQueryString")
    body = _decode_body(event.get("body"), bool(event.get("isBase64Encoded")), "the request body")
    host, port, scheme = _host_port_scheme(req.header, _text(ctx.get("domainName"), "domainName"), "https")
    remote = _first_ip(_text(http.get("sourceIp"), "sourceIp"), req.header("x-real-ip"),
                       _first_hop(req.header("x-forwarded-for")))
    req.method, req.path, req.query, req.body = method.upper(), path, query, body
    req.host, req.port, req.scheme, req.remote_addr = host, port, scheme, remote
    return req


def _parse_v1(event):
    ctx = event.get("requestContext") or {}
    if not isinstance(ctx, dict):
        raise InvalidEvent("requestContext is not an object")
    identity = ctx.get("identity") or {}
    headers = _header_pairs(event.get("headers"), event.get("multiValueHeaders"), "the API Gateway")
    req = Request(None, None, None, headers, None, None, None, None, None)
    method = _text(event.get("httpMethod"), "httpMethod") or "GET"
    path = _text(event.get("path"), "path") or "/"
    # The event has the query only as decoded parameters: re-encode them
    # in the order given.
    pairs = []
    multi = event.get("multiValueQueryStringParameters") or {}
    single = event.get("queryStringParameters") or {}
    if not isinstance(multi, dict) or not isinstance(single, dict):
        raise InvalidEvent("query string parameters are not an object")
    for name, values in multi.items():
        for v in values if isinstance(values, list) else [values]:
            pairs.append((name, _text(v, "query parameter %s" % name)))
    for name, v in single.items():
        if name not in multi:
            pairs.append((name, _text(v, "query parameter %s" % name)))
    body = _decode_body(event.get("body"), bool(event.get("isBase64Encoded")), "the request body")
    host, port, scheme = _host_port_scheme(req.header, _text(ctx.get("domainName"), "domainName"), "https")
    remote = _first_ip(_text(identity.get("sourceIp") if isinstance(identity, dict) else "", "sourceIp"),
                       req.header("x-real-ip"), _first_hop(req.header("x-forwarded-for")))
    req.method, req.path, req.query, req.body = method.upper(), quote(path, safe="/%:@!$&'()*+,;=~-._"), urlencode(pairs), body
    req.host, req.port, req.scheme, req.remote_addr = host, port, scheme, remote
    return req


# ------------------------------------------------------------------ responses

_TEXTUAL_TYPES = frozenset([
    "application/json", "application/xml", "application/javascript",
    "application/ecmascript", "application/x-www-form-urlencoded",
    "application/graphql", "application/x-ndjson", "application/yaml",
])


def is_textual(content_type):
    """Whether a Content-Type names text: text/*, JSON, XML, JavaScript,
    form data and the +json/+xml structured syntaxes."""
    mt = (content_type or "").split(";", 1)[0].strip().lower()
    if mt.startswith("text/") or mt.endswith("+json") or mt.endswith("+xml"):
        return True
    return mt in _TEXTUAL_TYPES


def encode_body(headers, body):
    """(text, is_base64) for a response body and its header pairs."""
    if not body:
        return "", False
    ctype = ""
    cenc = ""
    for name, value in headers:
        lname = name.lower()
        if lname == "content-type" and not ctype:
            ctype = value
        elif lname == "content-encoding" and not cenc:
            cenc = value.strip().lower()
    if cenc in ("", "identity") and is_textual(ctype):
        try:
            return body.decode("utf-8"), False
        except UnicodeDecodeError:
            pass
    return base64.b64encode(body).decode("ascii"), True


def _grouped(headers):
    """{name: [values]} keeping the first spelling of each name and the
    order of first appearance."""
    out = {}
    spelling = {}
    for name, value in headers:
        key = name.lower()
        if key not in spelling:
            spelling[key] = name
            out[name] = []
        out[spelling[key]].append(value)
    return out


def encode_response(kind, status, headers, body):
    """The response payload for an event of the given kind. headers are
    (name, value) string pairs; body is bytes."""
    text, is_b64 = encode_body(headers, body)
    grouped = _grouped(headers)
    if kind == KIND_VERCEL:
        out = {"statusCode": status, "headers": grouped, "body": text}
        if is_b64:
            out["encoding"] = "base64"
        return out
    if kind == KIND_APIGW_V2:
        cookies = []
        single = {}
        for name, values in grouped.items():
            if name.lower() == "set-cookie":
                cookies.extend(values)
            else:
                single[name] = ",".join(values)
        out = {"statusCode": status, "headers": single, "body": text, "isBase64Encoded": is_b64}
        if cookies:
            out["cookies"] = cookies
        return out
    return {
        "statusCode": status,
        "headers": dict((name, values[-1]) for name, values in grouped.items()),
        "multiValueHeaders": grouped,
        "body": text,
        "isBase64Encoded": is_b64,
    }
