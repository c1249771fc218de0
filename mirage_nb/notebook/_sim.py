"""The thin bridge from ``%mirage run`` to the simulator.

The simulator (:mod:`mirage_nb.sim`) owns booting: this module only reads
the magic's arguments and hands the application, the unikernel module and
the options to ``app.run`` (``app.run(seed=1, argv=[...], until="10s")``),
which boots the graph the engine evaluates, as ``mirage-nb run`` does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mirage_nb.errors import MirageNbError, SimulationError

__all__ = ["RunOptions", "split_run_args", "run_application"]


@dataclass(frozen=True)
class RunOptions:
    """``%mirage run``'s arguments: configure args (target, keys), seed, time limit, the unikernel's argv."""

    config_args: tuple[str, ...] = ()
    seed: int = 0
    until: str | None = None
    argv: tuple[str, ...] = field(default=())


def split_run_args(args: list[str]) -> RunOptions:
    """Read ``[-t T] [--KEY=V...] [--seed N] [--until T] [-- ARGS...]``."""
    config: list[str] = []
    seed = 0
    until: str | None = None
    argv: list[str] = []
    i = 0
    while i < len(args):
        a = args[i]
        if a == "--":
            argv = args[i + 1 :]
            break
        name, eq, val = a.partition("=")
        if name in ("--seed", "--until"):
            if not eq:
                if i + 1 >= len(args):
                    raise MirageNbError(f"%mirage run: option {name} needs a value")
                i += 1
                val = args[i]
            if name == "--seed":
                try:
                    seed = int(val)
                except ValueError:
                    raise MirageNbError(f"%mirage run: --seed expects an integer, not {val!r}") from None
            else:
                until = val
        else:
            config.append(a)
        i += 1
    return RunOptions(tuple(config), seed, until, tuple(argv))


def run_application(app: Any, unikernel: Any, opts: RunOptions) -> Any:
    """Simulate ``app`` with ``unikernel`` (a module or a path to unikernel.py); returns the run's result."""
    if unikernel is None:
        import os

        beside = os.path.join(os.path.dirname(str(getattr(app, "config_file", "config.ml"))), "unikernel.py")
        if not os.path.isfile(beside):
            raise SimulationError(
                "no unikernel code to run: give it in a %%unikernel cell (a start function or Main), "
                f"or put a unikernel.py beside the config ({beside} does not exist)"
            )
    kwargs: dict[str, Any] = {"seed": opts.seed, "argv": list(opts.argv), "until": opts.until}
    if unikernel is not None:
        kwargs["unikernel"] = unikernel
    if opts.config_args:
        kwargs["args"] = list(opts.config_args)
    return app.run(**kwargs)
