from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, Response

STARTUPS = []


@asynccontextmanager
async def lifespan(app):
    STARTUPS.append(1)
    yield {"greeting": "hello"}


app = FastAPI(lifespan=lifespan)


@app.get("/items/{item_id}")
async def item(item_id: int, request: Request, response: Response, q: str = ""):
    response.set_cookie("seen", "1")
    response.set_cookie("item", str(item_id))
    return {
        "item": item_id,
        "q": q,
        "greeting": request.state.greeting,
        "startups": len(STARTUPS),
        "client": request.client.host if request.client else "",
        "cookie": request.cookies.get("a", ""),
    }


@app.post("/echo")
async def echo(request: Request):
    return Response(await request.body(), media_type="application/octet-stream")


@app.get("/boom")
async def boom():
    raise RuntimeError("boom from FastAPI")
