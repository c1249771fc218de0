"""Loading a configuration file: a real ``config.ml`` (read, never run) or a Python ``config.py``.

A ``config.py`` is Python the learner wrote against :mod:`mirage_nb.mirage`;
it stands for the ``config.ml`` of the same name, so generated files name the
``.ml`` file exactly as the real tool would.
"""

from __future__ import annotations

from pathlib import Path

from mirage_nb.errors import ConfigError, Location, MirageNbError
from mirage_nb.functoria.app import Application, collecting_registrations

__all__ = ["load_config", "ml_name", "find_default_config"]


def ml_name(path: str) -> str:
    """The config.ml a config file stands for (``config.py`` → ``config.ml``)."""
    return path[: -len(".py")] + ".ml" if path.endswith(".py") else path


def find_default_config(directory: Path) -> str | None:
    """With no ``-f``: ``config.ml`` first, then ``config.py``."""
    for name in ("config.ml", "config.py"):
        if (directory / name).is_file():
            return name
    return None


def load_config(path: str) -> Application:
    """The application a config file registers (the last one if it registers several)."""
    p = Path(path)
    if path.endswith(".py"):
        apps = _exec_python(p)
    else:
        from mirage_nb import config_ml

        app = config_ml.load(path)
        app.config_file = path
        app.source_file = path
        return app
    if not apps:
        raise ConfigError(f"{path}: the configuration never calls register(...)")
    app = apps[-1]
    app.config_file = ml_name(path)
    app.source_file = path
    return app


def _where(e: BaseException, p: Path, source: str) -> tuple[Location | None, str]:
    """The innermost place in the config file ``p`` the traceback of ``e`` passes through, and its excerpt.

    The excerpt is the source line with carets under the expression, as the
    config.ml reader shows its errors (empty when the place is not known).
    """
    import traceback  # only a failing config.py needs it

    frames = [f for f in traceback.extract_tb(e.__traceback__) if f.filename == str(p)]
    if not frames or frames[-1].lineno is None:
        return None, ""
    f = frames[-1]
    line = f.lineno or 1
    col = f.colno or 0
    width = (f.end_colno or col + 1) - col if f.end_lineno in (None, line) else 1
    return Location(str(p), line, col + 1), _excerpt(source, line, col, width)


def _excerpt(source: str, line: int, col: int, width: int) -> str:
    lines = source.split("\n")
    if not 1 <= line <= len(lines):
        return ""
    text = lines[line - 1].rstrip("\r").expandtabs(1)
    width = max(1, min(width, len(text) - col))
    prefix = f"{line} | "
    return f"\n{prefix}{text}\n{' ' * (len(prefix) + col)}{'^' * width}"


def _exec_python(p: Path) -> list[Application]:
    source = p.read_text(encoding="utf-8")
    namespace: dict[str, object] = {"__name__": "__mirage_config__", "__file__": str(p)}
    with collecting_registrations() as apps:
        try:
            code = compile(source, str(p), "exec")
            exec(code, namespace)  # the learner's own Python config
        except MirageNbError as e:
            # A wrong device, an unknown key...: the message is ours; say where in the file it happened.
            if e.loc is None:
                e.loc, excerpt = _where(e, p, source)
                e.msg += excerpt
                e.args = (e.msg,)
            raise
        except SyntaxError as e:
            line, col = e.lineno or 1, max(0, (e.offset or 1) - 1)
            msg = f"syntax error: {e.msg}{_excerpt(source, line, col, 1)}"
            raise ConfigError(msg, loc=Location(str(p), line, col + 1)) from None
        except Exception as e:  # noqa: BLE001 - any error in the user's file becomes one readable line
            loc, excerpt = _where(e, p, source)
            raise ConfigError(f"{type(e).__name__}: {e}{excerpt}", loc=loc or Location(str(p), 1, 1)) from None
    return apps
