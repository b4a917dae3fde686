"""A typical FastAPI application, used by BenchmarkAnalyzeFunction.

It has the usual mix: imports, settings, models, dependencies, routes with
decorators, f-strings, docstrings and a few multi-line calls.
"""

from __future__ import annotations

import logging
import os
import time
import uuid
from datetime import datetime, timezone
from typing import Annotated, Any, Optional

from fastapi import Depends, FastAPI, HTTPException, Query, Request, status
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, PlainTextResponse
from pydantic import BaseModel, Field

from .db import Database, get_database
from .settings import Settings

log = logging.getLogger(__name__)

settings = Settings(
    database_url=os.environ.get("DATABASE_URL", "sqlite:///./local.db"),
    debug=os.environ.get("DEBUG", "0") == "1",
    allowed_origins=[
        "https://example.com",
        "http://localhost:3000",
    ],
)

app = FastAPI(
    title="Items API",
    version="1.4.2",
    description=f"""Items service ({os.environ.get("VERCEL_ENV", "local")}).""",
    docs_url="/api/docs",
    openapi_url="/api/openapi.json",
)

app.add_middleware(
    CORSMiddleware,
    allow_origins=settings.allowed_origins,
    allow_credentials=True,
    allow_methods=["*"],
    allow_headers=["*"],
)


class ItemIn(BaseModel):
    """What clients send to create an item."""

    name: str = Field(min_length=1, max_length=200)
    price: float = Field(gt=0)
    tags: list[str] = []
    description: Optional[str] = None


class Item(ItemIn):
    """An item as stored."""

    id: str
    created: datetime


class Page(BaseModel):
    items: list[Item]
    total: int
    next_cursor: Optional[str] = None


@app.middleware("http")
async def timing(request: Request, call_next):
    start = time.perf_counter()
    response = await call_next(request)
    elapsed = (time.perf_counter() - start) * 1000
    response.headers["Server-Timing"] = f"app;dur={elapsed:.1f}"
    log.debug("%s %s took %.1f ms", request.method, request.url.path, elapsed)
    return response


def current_user(request: Request) -> str:
    token = request.headers.get("authorization", "")
    if not token.startswith("Bearer "):
        raise HTTPException(
            status_code=status.HTTP_401_UNAUTHORIZED,
            detail="missing bearer token",
        )
    return token.removeprefix("Bearer ").strip()


DB = Annotated[Database, Depends(get_database)]
User = Annotated[str, Depends(current_user)]


@app.get("/api/health", response_class=PlainTextResponse)
def health() -> str:
    return "ok"


@app.get("/api/items", response_model=Page)
async def list_items(
    db: DB,
    limit: int = Query(20, ge=1, le=100),
    cursor: Optional[str] = None,
    tag: Optional[str] = None,
) -> Page:
    """List items, newest first, optionally filtered by tag."""
    rows, total, next_cursor = await db.fetch_items(limit=limit, cursor=cursor, tag=tag)
    return Page(items=[Item(**r) for r in rows], total=total, next_cursor=next_cursor)


@app.get("/api/items/{item_id}", response_model=Item)
async def get_item(item_id: str, db: DB) -> Item:
    row = await db.fetch_item(item_id)
    if row is None:
        raise HTTPException(status_code=404, detail=f"item {item_id!r} not found")
    return Item(**row)


@app.post("/api/items", response_model=Item, status_code=201)
async def create_item(body: ItemIn, db: DB, user: User) -> Item:
    item = Item(
        id=uuid.uuid4().hex,
        created=datetime.now(timezone.utc),
        **body.model_dump(),
    )
    await db.insert_item(item.model_dump(), owner=user)
    log.info("created item %s for %s", item.id, user)
    return item


@app.put("/api/items/{item_id}", response_model=Item)
async def update_item(item_id: str, body: ItemIn, db: DB, user: User) -> Item:
    row = await db.fetch_item(item_id)
    if row is None:
        raise HTTPException(status_code=404, detail=f"item {item_id!r} not found")
    if row["owner"] != user:
        raise HTTPException(status_code=403, detail="not your item")
    row.update(body.model_dump())
    await db.update_item(item_id, row)
    return Item(**row)


@app.delete("/api/items/{item_id}", status_code=204)
async def delete_item(item_id: str, db: DB, user: User) -> None:
    deleted = await db.delete_item(item_id, owner=user)
    if not deleted:
        raise HTTPException(status_code=404, detail=f"item {item_id!r} not found")


@app.get("/api/search")
async def search(
    q: str = Query(..., min_length=2),
    db: DB = None,
) -> dict[str, Any]:
    results = await db.search(q)
    return {
        "query": q,
        "count": len(results),
        "results": [
            {"id": r["id"], "name": r["name"], "score": round(r["score"], 3)}
            for r in results
        ],
    }


@app.exception_handler(ValueError)
async def value_error(request: Request, exc: ValueError) -> JSONResponse:
    return JSONResponse(
        status_code=422,
        content={"error": str(exc), "path": request.url.path},
    )


def _format_price(value: float, currency: str = "EUR") -> str:
    symbols = {"EUR": "€", "USD": "$", "GBP": "£"}
    return f"{symbols.get(currency, currency)}{value:,.2f}"


@app.get("/api/items/{item_id}/label", response_class=PlainTextResponse)
async def label(item_id: str, db: DB) -> str:
    row = await db.fetch_item(item_id)
    if row is None:
        raise HTTPException(status_code=404)
    tags = ", ".join(row.get("tags", [])) or "no tags"
    return f"{row['name']} ({tags}): {_format_price(row['price'])}"


@app.on_event("startup")
async def startup() -> None:
    log.info("starting %s %s", app.title, app.version)


if __name__ == "__main__":
    import uvicorn

    uvicorn.run("api.index:app", host="127.0.0.1", port=int(os.environ.get("PORT", "8000")), reload=True)
