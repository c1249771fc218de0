"""``mirage-nb``: the real ``mirage`` tool's verbs over config.ml or config.py files.

``mirage-nb describe -f config.ml -t hvt --dot -o-`` prints what
``mirage describe -t hvt --dot -o-`` prints; ``configure`` writes the same
files; ``query`` prints the same answers. ``run`` (not in the real tool)
simulates the unikernel.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from mirage_nb import loader
from mirage_nb.errors import MirageNbError
from mirage_nb.functoria.app import Configured
from mirage_nb.functoria.cmdline import CmdlineError
from mirage_nb.functoria.request import Request
from mirage_nb.functoria.tool import Session, keys_and_tool, missing_config, resolve_verb
from mirage_nb.mirage.project import PROJECT

__all__ = ["main"]


def _version_check(config: str) -> str | None:
    """The real tool's check of a config.ml's first-line comment (``(* mirage >= 4.9.0 & < 4.12.0 *)``)."""
    if not config.endswith(".ml"):
        return None
    from mirage_nb.config_ml import version_check

    return version_check(Path(config).read_text(), PROJECT.name, PROJECT.version)


def _simulate(configured: Configured, request: Request, out: TextIO, err: TextIO) -> int:
    """``mirage-nb run``: boot the evaluated graph in the simulator."""
    from mirage_nb.sim.cli import run_command

    return run_command(configured, request, out, err)


def _replay(args: list[str], out: TextIO, err: TextIO) -> int:
    """``mirage-nb replay FILE``: the run a ``mirage-nb run --record FILE`` recorded, printed again."""
    if len(args) != 1 or args[0].startswith("-"):
        raise MirageNbError("usage: mirage-nb replay FILE (a record written by mirage-nb run --record FILE)")
    from mirage_nb.sim.cli import replay_command

    return replay_command(args[0], out, err)


def main(argv: Sequence[str] | None = None, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Entry point of the ``mirage-nb`` command; returns the exit status."""
    args = list(sys.argv[1:] if argv is None else argv)
    out = out or sys.stdout
    err = err or sys.stderr
    verb: str | None = None
    session: Session | None = None
    try:
        if not args or (len(args[0]) > 1 and args[0].startswith("-")):
            from mirage_nb.functoria import help as help_pages

            keys, tool = keys_and_tool("configure", args, project=PROJECT, reader=loader)
            return help_pages.toplevel(args, out, keys, tool, then=lambda: missing_config(args, loader))
        if args[0] == "replay":  # not a verb of the real tool: run a `run --record` file again
            return _replay(args[1:], out, err)
        if args[0] == "gallery":  # not a verb of the real tool: the static site of issue 13
            from mirage_nb.gallery.cli import main as gallery

            return gallery(args[1:], out, err)
        try:
            verb = resolve_verb(args[0])
        except CmdlineError as e:
            e.then = missing_config(args[1:], loader)
            raise
        session = Session(
            verb,
            args[1:],
            out,
            err,
            project=PROJECT,
            reader=loader,
            version_check=_version_check,
            runner=_simulate,
        )
        return session.run()
    except CmdlineError as e:
        from mirage_nb.functoria import help as help_pages

        out.flush()
        err.write(help_pages.error_text(e, verb, session.usage_keys() if session is not None else []))
        return 1
    except MirageNbError as e:
        out.flush()
        err.write(f"{e}\n")
        return 1
