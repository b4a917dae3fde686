"""A FastAPI app at the project root: lambdalens serves it for every path
that no function or static file takes."""

from fastapi import FastAPI, Request
from fastapi.responses import StreamingResponse

from greetings import greet

app = FastAPI(title="lambdalens FastAPI example")


@app.get("/")
def index():
    return {"message": greet("FastAPI")}


@app.get("/api/items/{item_id}")
def read_item(item_id: int, q: str | None = None):
    return {"item_id": item_id, "q": q}


@app.post("/api/echo")
async def echo(request: Request):
    return {"received": await request.json()}


@app.get("/api/stream")
def stream():
    def numbers():
        for i in range(5):
            yield f"data: {i}\n\n"

    return StreamingResponse(numbers(), media_type="text/event-stream")
