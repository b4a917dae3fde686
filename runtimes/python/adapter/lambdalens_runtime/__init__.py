"""lambdalens' Python Lambda adapter.

lambdalens ships this package (standard library only) in every Python
Lambda it builds, under _vendor/, next to a generated trampoline
vc__handler__python.py whose vc_handler is the Lambda handler. The
trampoline calls load(), which imports the user's entrypoint the way
Vercel's runtime does and returns the handler function.

Imports: the entrypoint api/x.py is imported from its file under the
module name "api.x" (the path with "/" turned into "." and ".py" dropped),
with the task root first on sys.path. So `from api._lib.util import y` and
relative imports (`from . import helpers`) work; a bare `import helpers`
of a sibling of the entrypoint does not, exactly as on Vercel, because the
entrypoint's own directory is not put on sys.path.

Application kinds are decided the way Vercel's resolver does: a
BaseHTTPRequestHandler subclass is served as a handler class; an object
with a callable .asgi attribute, or an async callable of three positional
parameters, is ASGI; a callable of two positional parameters is WSGI. The
name looked up is the one lambdalens' analysis found, else app, then
application, then handler (in any case).

Errors: an entrypoint that fails to import is logged with its traceback
to stderr ("lambdalens: importing api/x.py failed:") and the exception
raised on, since awslambdaric's own report leaves the traceback of an
ImportError out. An event of an unknown shape raises InvalidEvent (a
function error). An exception raised by the application while serving a request is
logged with its traceback to stderr and answered with a plain-text 500,
so the container stays warm and API Gateway does not turn it into a 502.
An exception raised after the application completed its response (an
ASGI app after its last body message, a handler class after writing a
whole response, a WSGI iterable's close()) is logged the same way and the
response is sent, as a server such as uvicorn or gunicorn would have sent
it already.
A failed ASGI lifespan startup raises (a function error); startup is tried
again on the next invocation.
"""

import importlib.util
import inspect
import os
import sys
import traceback
from http.server import BaseHTTPRequestHandler

from . import asgi, errors, events, handler, wsgi

__all__ = ["load", "detect", "InvalidEvent"]

# __version__ changes whenever the adapter's behaviour does, for people
# reading a bundle; lambdalens's build cache keys hash every adapter file
# (adapterDigest in build_trampoline.go), so they follow any change.
__version__ = "3"

InvalidEvent = events.InvalidEvent

KIND_ASGI = "asgi"
KIND_WSGI = "wsgi"
KIND_HANDLER = "handler"

_NAMES = ("app", "application", "handler")


def _positional_params(obj):
    """Number of positional parameters without a default, or None."""
    try:
        sig = inspect.signature(obj)
    except (TypeError, ValueError):
        return None
    n = 0
    for p in sig.parameters.values():
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty:
            n += 1
    return n


def _is_async(obj):
    if inspect.iscoroutinefunction(obj):
        return True
    call = getattr(obj, "__call__", None)
    return call is not None and inspect.iscoroutinefunction(call)


def detect(obj, hint=""):
    """Return (kind, callable) for an application object, or raise
    TypeError. hint ("asgi" or "wsgi", from the static analysis) decides
    only when the signature cannot be read."""
    if inspect.isclass(obj) and issubclass(obj, BaseHTTPRequestHandler):
        return KIND_HANDLER, obj
    asgi_attr = getattr(obj, "asgi", None)
    if asgi_attr is not None and callable(asgi_attr) and not inspect.isclass(obj):
        return KIND_ASGI, asgi_attr
    if not callable(obj) or inspect.isclass(obj):
        raise TypeError("%r is neither an ASGI or WSGI application nor a "
                        "BaseHTTPRequestHandler subclass" % (obj,))
    n = _positional_params(obj)
    if _is_async(obj) and n == 3:
        return KIND_ASGI, obj
    if n == 2:
        return KIND_WSGI, obj
    if n is None and hint in (KIND_ASGI, KIND_WSGI):
        return hint, obj
    raise TypeError(
        "cannot tell the interface of %r: expected an ASGI app (async "
        "callable(scope, receive, send)), a WSGI app (callable(environ, "
        "start_response)) or a class handler(BaseHTTPRequestHandler)" % (obj,))


def _find(module, variable):
    names = [variable] if variable else []
    names += [n for n in _NAMES if n not in names]
    for name in names:
        if hasattr(module, name):
            return name, getattr(module, name)
    for name, obj in vars(module).items():
        if name.lower() == "handler" and inspect.isclass(obj) and issubclass(obj, BaseHTTPRequestHandler):
            return name, obj
    raise RuntimeError("%s defines no app, application or handler: expected an ASGI or "
                       "WSGI app, or a class handler(BaseHTTPRequestHandler)" % module.__name__)


def import_entrypoint(task_root, entrypoint, module_name):
    """Import task_root/entrypoint under module_name, with the task root
    first on sys.path."""
    if task_root in sys.path:
        sys.path.remove(task_root)
    sys.path.insert(0, task_root)
    path = os.path.join(task_root, *entrypoint.split("/"))
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise ImportError("cannot load %s as module %s" % (entrypoint, module_name))
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(module_name, None)
        raise
    return module


def load(task_root, entrypoint, module_name, variable="", hint=""):
    """Import the entrypoint and return the Lambda handler serving it."""
    loop = asgi.new_loop()
    try:
        module = import_entrypoint(task_root, entrypoint, module_name)
    except BaseException:
        # awslambdaric reports an ImportError as "Unable to import module
        # 'vc__handler__python'" without its traceback: name the file
        # (and the line) that failed here.
        print("lambdalens: importing %s failed:\n%s" % (entrypoint, traceback.format_exc()),
              file=sys.stderr, flush=True)
        raise
    name, obj = _find(module, variable)
    try:
        kind, app = detect(obj, hint)
    except TypeError as e:
        raise TypeError("%s:%s: %s" % (entrypoint, name, e))

    if kind == KIND_ASGI:
        runner = asgi.Runner(app, loop).call
    elif kind == KIND_WSGI:
        def runner(req):
            return wsgi.call(app, req)
    else:
        def runner(req):
            return handler.call(app, req)

    def vc_handler(event, context):
        shape, req = events.parse_event(event)
        req.event, req.context = event, context
        try:
            status, headers, body = runner(req)
        except asgi.LifespanFailed:
            raise
        except Exception:
            status, headers, body = errors.internal_error(req, kind)
        if req.method == "HEAD" or status in (204, 304) or 100 <= status < 200:
            body = b""
        return events.encode_response(shape, status, headers, body)

    vc_handler.kind = kind
    vc_handler.app_name = name
    return vc_handler
