"""What a gallery page asks the engine when it runs in the visitor's browser (under Pyodide).

The page writes the edited config.ml into Pyodide's file system and calls
:func:`describe_json`; the answer is the same ``describe``, dot graph and
configure files that CPython gives for that text, target and keys, because it
is the same code: the engine, the config.ml reader and this module are copied
into the site as a zip (:func:`engine_zip`), nothing else of the package.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shlex
import zipfile
from pathlib import Path

from mirage_nb.errors import MirageNbError

__all__ = ["describe_json", "keys_of_text", "engine_zip", "ENGINE_PARTS"]

ENGINE_PARTS = (
    "__init__.py",
    "errors.py",
    "loader.py",
    "functoria",
    "mirage",
    "config_ml",
    "gallery/__init__.py",
    "gallery/live.py",
)
"""The parts of the package the browser needs: the engine and the reader (no simulator, no Jupyter)."""


def keys_of_text(text: str) -> dict[str, object]:
    """``--net=direct --utcp`` → ``{"net": "direct", "utcp": True}`` (the keywords ``app.describe`` takes)."""
    out: dict[str, object] = {}
    for word in shlex.split(text):
        if not word.startswith("--") or len(word) < 3:
            raise MirageNbError(f"keys: expected --name=value or --flag, got {word!r}")
        name, eq, value = word[2:].partition("=")
        out[name] = value if eq else True
    return out


def describe_json(config: str, target: str, keys: str = "", workdir: str = "/uk") -> str:
    """Describe ``config`` (config.ml text) for ``target`` and ``keys``: a JSON object for the page."""
    from mirage_nb.loader import load_config

    os.makedirs(workdir, exist_ok=True)
    cwd = os.getcwd()
    os.chdir(workdir)
    notices = io.StringIO()
    try:
        Path("config.ml").write_text(config, encoding="utf-8")
        with contextlib.redirect_stdout(notices):
            kw = keys_of_text(keys)
            app = load_config("config.ml")
            describe = str(app.describe(target=target, **kw))
            dot = str(app.dot(target, eval=True, **kw))
            files = sorted(app.configure(target=target, **kw).items())
        answer: dict[str, object] = {"describe": describe, "dot": dot, "files": files, "error": None}
    except MirageNbError as e:
        answer = {"describe": "", "dot": "", "files": [], "error": str(e)}
    finally:
        os.chdir(cwd)
    answer["notices"] = notices.getvalue()
    return json.dumps(answer)


def engine_zip(package: Path) -> bytes:
    """The engine's source files as a zip, byte-for-byte the same for the same sources (fixed dates, sorted)."""
    paths: list[Path] = []
    for part in ENGINE_PARTS:
        p = package / part
        paths.extend(sorted(q for q in p.rglob("*.py") if "__pycache__" not in q.parts) if p.is_dir() else [p])
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for p in sorted(paths):
            info = zipfile.ZipInfo("mirage_nb/" + p.relative_to(package).as_posix(), date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, p.read_bytes())
    return buf.getvalue()
