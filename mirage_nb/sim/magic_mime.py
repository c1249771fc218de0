"""Twin of ``Magic_mime.lookup``: the MIME type of a file name, by its extension.

Why our own table: Python's ``mimetypes`` also reads the machine's
``/etc/mime.types``, so its answers would depend on where a notebook runs.
This table holds the types a static website serves; anything else is
``application/octet-stream``, magic-mime's default.
"""

from __future__ import annotations

__all__ = ["Magic_mime"]

_TYPES = {
    "html": "text/html",
    "htm": "text/html",
    "css": "text/css",
    "js": "application/javascript",
    "mjs": "application/javascript",
    "json": "application/json",
    "txt": "text/plain",
    "md": "text/markdown",
    "xml": "application/xml",
    "svg": "image/svg+xml",
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "gif": "image/gif",
    "ico": "image/x-icon",
    "webp": "image/webp",
    "pdf": "application/pdf",
    "wasm": "application/wasm",
    "woff": "font/woff",
    "woff2": "font/woff2",
    "ttf": "font/ttf",
    "zip": "application/zip",
    "gz": "application/gzip",
    "tar": "application/x-tar",
    "mp3": "audio/mpeg",
    "mp4": "video/mp4",
    "pem": "application/x-x509-ca-cert",
    "crt": "application/x-x509-ca-cert",
}


class Magic_mime:  # noqa: N801 - the OCaml library's name
    """``Magic_mime.lookup ?default filename``."""

    @staticmethod
    def lookup(filename: str, *, default: str = "application/octet-stream") -> str:
        base = filename.rsplit("/", 1)[-1]
        if "." not in base:
            return default
        return _TYPES.get(base.rsplit(".", 1)[1].lower(), default)
