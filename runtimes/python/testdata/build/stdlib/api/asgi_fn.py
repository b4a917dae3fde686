from api._lib.echo import COOKIES, describe

from . import sibling

STARTUPS = []


async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                STARTUPS.append(1)
                scope["state"]["started"] = len(STARTUPS)
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    path = scope["path"]
    if path.endswith("/boom"):
        raise RuntimeError("boom from the ASGI app")
    if path.endswith("/late"):
        # A complete response, then an exception (as from a Starlette
        # BackgroundTask): the response stands.
        await send({"type": "http.response.start", "status": 201, "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": b"created"})
        raise RuntimeError("late failure from the ASGI app")
    if path.endswith("/partial"):
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"par", "more_body": True})
        raise RuntimeError("boom from the ASGI app mid-body")
    if path.endswith("/missing"):
        await send({"type": "http.response.start", "status": 404, "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": b"not here"})
        return
    if path.endswith("/bin"):
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"application/octet-stream")]})
        await send({"type": "http.response.body", "body": body[:100], "more_body": True})
        await send({"type": "http.response.body", "body": body[100:]})
        return
    headers = [(k.decode(), v.decode()) for k, v in scope["headers"]]
    out = describe("asgi" + sibling.KIND_SUFFIX, scope["method"], path, scope["query_string"].decode(), headers, body,
                   (scope.get("client") or ("", 0))[0],
                   {"startups": len(STARTUPS), "state": scope.get("state", {}).get("started")})
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json")] + [(b"set-cookie", c.encode()) for c in COOKIES]})
    await send({"type": "http.response.body", "body": out})
