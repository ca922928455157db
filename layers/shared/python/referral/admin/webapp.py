"""The operators' web app: its static files, served by the admin API's own function.

One origin for the app and the API (no CORS, no CDN at run time); the Content-Security-Policy allows
scripts only from here and from Telegram, whose Login Widget is the one third-party script.
"""

from __future__ import annotations

from pathlib import Path

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from referral.errors import NotFound

APP_PATH = "/app"
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".json": "application/json",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".woff2": "font/woff2",
}
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self' https://telegram.org",
        "frame-src https://oauth.telegram.org",
        "img-src 'self' data: https:",
        "style-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ]
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def is_app_path(path: str, prefix: str) -> bool:
    return path == prefix + APP_PATH or path.startswith(prefix + APP_PATH + "/")


def router(root: Path) -> Router:
    """Routes for ``root``'s files: ``/app`` is ``index.html``, ``/app/<file>`` and ``/app/<dir>/<file>``."""
    web = Router()  # type: ignore[no-untyped-call]

    @web.get(APP_PATH, include_in_schema=False, compress=True)
    def index() -> Response[str | bytes]:
        return _serve(root, "index.html")

    @web.get(f"{APP_PATH}/<name>", include_in_schema=False, compress=True)
    def top_level(name: str) -> Response[str | bytes]:
        return _serve(root, name)

    @web.get(f"{APP_PATH}/<folder>/<name>", include_in_schema=False, compress=True)
    def nested(folder: str, name: str) -> Response[str | bytes]:
        return _serve(root, f"{folder}/{name}")

    return web


def _serve(root: Path, relative: str) -> Response[str | bytes]:
    content_type, data = _read(root.resolve(), relative)
    textual = content_type.endswith("charset=utf-8") or content_type == "application/json"
    body: str | bytes = data.decode() if textual else data
    cache_control = "no-cache" if relative == "index.html" else "public, max-age=300"
    return Response(
        status_code=200,
        content_type=content_type,
        body=body,
        headers={**SECURITY_HEADERS, "Cache-Control": cache_control},
    )


def _read(root: Path, relative: str) -> tuple[str, bytes]:
    """A file under ``root`` with a known type; anything else (``..``, hidden, unknown type) is 404."""
    path = (root / relative).resolve()
    content_type = CONTENT_TYPES.get(path.suffix)
    if (
        content_type is None
        or not path.is_relative_to(root)
        or any(part.startswith(".") for part in Path(relative).parts)
        or not path.is_file()
    ):
        raise NotFound(f"No file {relative!r} in the web app.", reason="no_such_file")
    return content_type, _contents(path)


_FILES: dict[Path, tuple[int, bytes]] = {}
"""The latest version read of each file (mtime, bytes): one entry per file, however often it changes."""


def _contents(path: Path) -> bytes:
    """Read once per version of the file: a warm function serves from memory, a local run sees edits."""
    modified_ns = path.stat().st_mtime_ns
    known = _FILES.get(path)
    if known is not None and known[0] == modified_ns:
        return known[1]
    data = path.read_bytes()
    _FILES[path] = (modified_ns, data)
    return data
