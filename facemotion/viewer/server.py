"""The viewer page served from this machine (``facemotion view``): stdlib ``http.server`` on 127.0.0.1.

Routes, all from memory: ``/`` the page (``static/index.html``), ``/viewer.js`` the bundle, ``/state.json`` the
:class:`~facemotion.viewer.data.ViewerData` with each binary value replaced by ``{"$buffer": i}``, and
``/buffers/<i>`` those values (GLB, WAV, float32 curves). Nothing else is served; only this machine can connect.
"""

import json
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from facemotion.viewer.data import ViewerData

STATIC = Path(__file__).resolve().parent / "static"
"""The page and the bundle."""


class ViewerServer(ThreadingHTTPServer):
    """An HTTP server of one viewer on ``127.0.0.1:port``; ``serve_forever()`` runs it, ``shutdown()`` stops it.

    Args:
        data: what the page shows.
        port: the TCP port; 0 (default) takes a free one (see :attr:`url`).

    Raises:
        OSError: the port is taken or cannot be bound.
    """

    daemon_threads = True

    def __init__(self, data: ViewerData, port: int = 0) -> None:
        buffers: list[bytes] = []
        state = _without_buffers(data.state(), buffers)
        self.routes = {
            "/": ("text/html; charset=utf-8", (STATIC / "index.html").read_bytes()),
            "/viewer.js": ("text/javascript; charset=utf-8", (STATIC / "viewer.js").read_bytes()),
            "/state.json": ("application/json", json.dumps(state).encode("utf-8")),
            **{f"/buffers/{i}": ("application/octet-stream", buffer) for i, buffer in enumerate(buffers)},
        }
        super().__init__(("127.0.0.1", port), _Handler)

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT/``, the page."""
        return f"http://127.0.0.1:{self.server_address[1]}/"


class _Handler(BaseHTTPRequestHandler):
    server: ViewerServer

    def do_GET(self) -> None:
        route = self.server.routes.get(self.path.split("?", 1)[0])
        if route is None:
            self.send_error(HTTPStatus.NOT_FOUND)
            return
        content_type, body = route
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        """Log nothing: the command prints the address once, and a request log would bury it."""


def _without_buffers(value, buffers: list[bytes]):
    """``value`` with each ``bytes`` appended to ``buffers`` and replaced by ``{"$buffer": index}``."""
    if isinstance(value, bytes):
        buffers.append(value)
        return {"$buffer": len(buffers) - 1}
    if isinstance(value, dict):
        return {key: _without_buffers(item, buffers) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_without_buffers(item, buffers) for item in value]
    return value
