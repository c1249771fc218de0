"""What a gallery page asks the engine when it runs in the visitor's browser (under Pyodide).

The page writes the edited config.ml into Pyodide's file system and calls
:func:`describe_json`; the answer is the same ``describe``, dot graph and
configure files that CPython gives for that text, target and keys, because it
is the same code: the page installs this package's wheel, built when the
site was built, with micropip from the site's own ``pyodide/`` directory
(:mod:`mirage_nb.gallery.wheels`).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shlex
from pathlib import Path

from mirage_nb.errors import MirageNbError

__all__ = ["describe_json", "keys_of_text"]


def keys_of_text(text: str) -> dict[str, str | bool]:
    """``--net=direct --utcp`` → ``{"net": "direct", "utcp": True}`` (the keywords ``app.describe`` takes)."""
    out: dict[str, str | bool] = {}
    for word in shlex.split(text):
        if not word.startswith("--") or len(word) < 3:
            raise MirageNbError(f"keys: expected --name=value or --flag, got {word!r}")
        name, eq, value = word[2:].partition("=")
        out[name] = value if eq else True
    return out


def describe_json(config: str, target: str, keys: str = "", workdir: str = "/uk") -> str:
    """Describe ``config`` (config.ml text) for ``target`` and ``keys``: a JSON object for the page."""
    from mirage_nb.functoria.cmdline import CmdlineError, err_unknown
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
            for flag in ("eval", "dot"):  # describe's own flags, not keys: the configure below has no such option
                if flag in kw:
                    raise CmdlineError(err_unknown("option", f"--{flag}"))
            describe = str(app.describe(target=target, eval=None, dot=False, **kw))
            dot = str(app.dot(target, eval=True, **kw))
            files = sorted(app.configure(target=target, **kw).items())
        answer: dict[str, object] = {"describe": describe, "dot": dot, "files": files, "error": None}
    except MirageNbError as e:
        answer = {"describe": "", "dot": "", "files": [], "error": str(e)}
    finally:
        os.chdir(cwd)
    answer["notices"] = notices.getvalue()
    return json.dumps(answer)
