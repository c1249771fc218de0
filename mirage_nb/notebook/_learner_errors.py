"""How a notebook shows an error the learner caused: one clear message, the traceback only on demand.

mirage_nb's own exceptions (:class:`mirage_nb.errors.MirageNbError` and its
subclasses) are mistakes a learner can make: a device of the wrong type, a
typo in a config, an unknown target. A traceback through ``functoria/impl.py``
tells a newcomer nothing and hides the one line that matters, so the
extension installs :func:`handle` as IPython's custom exception handler for
that family: the cell shows the exception's class and message (with the
config's ``file:line:column`` when the error carries one) and a pointer to
``%tb``, which prints the full traceback as IPython normally would.

What is shown is deterministic (no addresses, no paths of this machine, no
line numbers of our own source), so nbval can compare it. Any other
exception keeps IPython's normal traceback: it is a bug in the learner's
code or in mirage_nb, and the traceback is what finds it.
"""

from __future__ import annotations

import html
import sys
from types import TracebackType
from typing import Any

from mirage_nb.errors import MirageNbError

__all__ = ["LearnerError", "handle", "install", "uninstall", "TB_HINT"]

TB_HINT = "%tb shows the full traceback"
"""The last line of every learner error: how to get the traceback when it is wanted."""

_STYLE = "border-left:4px solid #cf222e;padding:2px 8px;margin:2px 0"
"""Inline and in hex: an untrusted notebook keeps such a style (not ``<style>``, not ``var()``)."""


class LearnerError:
    """The display of one learner error: text and HTML twins of the same short message."""

    def __init__(self, exc: BaseException) -> None:
        self.kind = type(exc).__name__
        self.message = str(exc)

    def text(self) -> str:
        return f"{self.kind}: {self.message}\n({TB_HINT})"

    def __repr__(self) -> str:
        return self.text()

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        head, _, rest = self.message.partition("\n")
        body = f"<b>{html.escape(self.kind)}</b>: {html.escape(head)}"
        if rest:
            body += f'<pre style="margin:2px 0">{html.escape(rest)}</pre>'
        return {
            "text/plain": self.text(),
            "text/html": (
                f'<div class="mirage-nb-error" style="{_STYLE}">{body}'
                f'<div style="color:#6e7781">(<code>%tb</code> shows the full traceback)</div></div>'
            ),
        }


def handle(
    shell: Any, etype: type[BaseException], value: BaseException, tb: TracebackType | None, tb_offset: Any = None
) -> list[str]:
    """IPython's custom exception handler for mirage_nb's errors: show :class:`LearnerError`, keep the rest.

    ``sys.last_*`` are set as IPython sets them for any error, so ``%tb``
    (and ``%debug``) find this exception.
    """
    sys.last_type, sys.last_value, sys.last_traceback = etype, value, tb
    if sys.version_info >= (3, 12):
        sys.last_exc = value
    sys.stdout.flush()
    sys.stderr.flush()
    data, metadata = shell.display_formatter.format(LearnerError(value))
    shell.display_pub.publish(data=data, metadata=metadata)
    if type(shell).__module__.startswith("pyodide_kernel."):
        # JupyterLite's Pyodide kernel marks a cell as failed (so Run All stops there, as ipykernel's
        # does) only when a traceback was recorded: record the error, with no traceback lines to show.
        shell._last_traceback = {"ename": type(value).__name__, "evalue": str(value), "traceback": []}
    return []


def install(shell: Any) -> tuple[Any, Any]:
    """Install :func:`handle` for MirageNbError; returns what was there before, for :func:`uninstall`."""
    previous = (shell.custom_exceptions, getattr(shell, "CustomTB", None))
    shell.set_custom_exc((MirageNbError,), handle)
    return previous


def uninstall(shell: Any, previous: tuple[Any, Any]) -> None:
    """Put back the custom handler that was there before :func:`install` (IPython's own by default)."""
    exceptions, custom_tb = previous
    if custom_tb is None:
        shell.set_custom_exc((), None)
        return
    shell.CustomTB = custom_tb
    shell.custom_exceptions = exceptions
