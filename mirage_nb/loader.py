"""Loading a configuration file: a real ``config.ml`` (read, never run) or a Python ``config.py``.

A ``config.py`` is Python the learner wrote against :mod:`mirage_nb.mirage`;
it stands for the ``config.ml`` of the same name, so generated files name the
``.ml`` file exactly as the real tool would.
"""

from __future__ import annotations

import traceback
from pathlib import Path

from mirage_nb.errors import ConfigError, MirageNbError
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
        return app
    if not apps:
        raise ConfigError(f"{path}: the configuration never calls register(...)")
    app = apps[-1]
    app.config_file = ml_name(path)
    return app


def _exec_python(p: Path) -> list[Application]:
    source = p.read_text(encoding="utf-8")
    namespace: dict[str, object] = {"__name__": "__mirage_config__", "__file__": str(p)}
    with collecting_registrations() as apps:
        try:
            code = compile(source, str(p), "exec")
            exec(code, namespace)  # the learner's own Python config
        except MirageNbError:
            raise
        except SyntaxError as e:
            raise ConfigError(f"{p}:{e.lineno}:{e.offset or 0}: syntax error: {e.msg}") from None
        except Exception as e:  # noqa: BLE001 - any error in the user's file becomes one readable line
            frames = [f for f in traceback.extract_tb(e.__traceback__) if f.filename == str(p)]
            where = f"{p}:{frames[-1].lineno}: " if frames else f"{p}: "
            raise ConfigError(f"{where}{type(e).__name__}: {e}") from None
    return apps
