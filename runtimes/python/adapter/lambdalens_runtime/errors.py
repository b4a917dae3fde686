"""How the adapter reports an exception the application raised.

Both are written with their traceback to stderr, which Lambda sends to
the function's log: the adapter answers the request itself, so awslambdaric
never sees the exception.
"""

import sys
import traceback

KIND_NAMES = {"asgi": "ASGI", "wsgi": "WSGI", "handler": "handler class"}


def internal_error(req, kind):
    """Log the exception being handled, raised before the application's
    response was complete, and return the 500 that answers it."""
    print("lambdalens: %s %s failed in the %s application:\n%s"
          % (req.method, req.path, kind, traceback.format_exc()), file=sys.stderr, flush=True)
    return 500, [("Content-Type", "text/plain; charset=utf-8")], b"Internal Server Error"


def after_response(req, kind):
    """Log the exception being handled, raised after the application had
    completed its response, which is sent as it is: a server such as
    uvicorn or gunicorn has sent it already when the exception comes (a
    Starlette BackgroundTask, a WSGI iterable's close())."""
    print("lambdalens: %s %s: the %s application raised after its response was complete; "
          "the response is sent:\n%s"
          % (req.method, req.path, KIND_NAMES.get(kind, kind), traceback.format_exc()),
          file=sys.stderr, flush=True)
