"""The verbs' work, over an application and a :class:`~mirage_nb.functoria.request.Request`.

The Python API (``app.describe()``, ``app.configure()``...) and the command
line (:mod:`mirage_nb.functoria.tool`) both call these, so both print the
same bytes. Nothing here reads argv, prints, or touches the disk: evaluation
takes the cached command line (``mirage/context``) as data, and the verbs
return text and files for their caller to show or write.

Evaluation follows functoria (spec §9): the ``If`` keys are read first to
simplify the graph, then every key the application ends up with, over the
context cached by a previous ``configure``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from . import keys as K
from .cmdline import CmdlineError, err_pos_excess, parse
from .cmdliner_words import quote_alts
from .queries import QUERY_KINDS
from .request import Request, context_of, key_opts

if TYPE_CHECKING:
    from .app import Application, Configured
    from .vfs import VirtualFS

__all__ = ["evaluate", "describe", "query", "configure"]


def evaluate(
    app: Application,
    request: Request,
    *,
    cached_args: Sequence[str] = (),
    recorded_argv: Sequence[str] | None = None,
) -> tuple[Configured, Request]:
    """The application evaluated for ``request``, and the request completed by the whole command line.

    ``cached_args`` is the command line a previous ``configure`` cached;
    ``recorded_argv`` the command line generated files record (by default
    the verb and the request's own arguments). A command line's positional
    arguments become the query's kind or the run's boot arguments.
    """
    opts = request.opts
    if_keys = app.if_keys
    cache_if = context_of(parse(cached_args, [*opts, *key_opts(if_keys)], peek=True), if_keys)
    cli_if, _ = request.keys.context(if_keys, opts, peek=True)
    base = cli_if.merge_under(cache_if)
    if request.verb == "describe":
        full = bool(cached_args) if request.eval is None else request.eval
    else:
        full = True
    output = request.output
    if output is None and cached_args:
        output = parse(cached_args, opts, peek=True).get("output")
    done: list[Request] = []

    def context_for(keys: list[K.Key]) -> K.Context:
        given, positionals = request.keys.context(keys, opts, peek=False)
        done.append(_with_positionals(request, positionals))
        cached = context_of(parse(cached_args, [*opts, *key_opts(keys)], peek=True), keys)
        return given.merge_under(cached)

    argv = [request.verb, *request.command_line()] if recorded_argv is None else list(recorded_argv)
    configured = app.evaluate(base, full=full, context_for=context_for, output=output, extra={"argv": argv})
    return configured, done[0]


def _with_positionals(request: Request, positionals: list[str] | None) -> Request:
    if positionals is None:
        return request
    if request.verb == "query":
        if len(positionals) > 1:
            raise CmdlineError(err_pos_excess(positionals[1:]))
        return replace(request, query=positionals[0]) if positionals else request
    if request.verb == "run":  # after --: the unikernel's boot arguments
        return replace(request, boot_argv=tuple(positionals))
    if request.verb != "help" and positionals:
        raise CmdlineError(err_pos_excess(positionals))
    return request


def describe(c: Configured, request: Request) -> tuple[str, str | None]:
    """What ``describe`` prints, and the dot graph it writes elsewhere (a file, a viewer) if any.

    With ``--dot -o-`` the graph is printed after the description; with
    ``--dot`` alone it goes to a viewer, with ``-o FILE`` to the file (which
    gets an empty line without ``--dot``, as functoria writes it).
    """
    from .dot import render_dot
    from .info import describe_text

    text = describe_text(c.info)
    out = c.info.output
    if request.dot:
        if out == "-":
            return text + render_dot(c.impl, 12) + "\n", None
        return text, render_dot(c.impl, 0) + "\n"
    if out is None or out == "-":
        return text + "\n", None
    return text, "\n"


def query(c: Configured, request: Request, *, directory: Path | None = None) -> str:
    """What ``query <kind>`` prints."""
    from . import codegen

    kind = request.query
    if kind not in QUERY_KINDS:
        raise CmdlineError(f"INFO argument: invalid value '{kind}', expected {quote_alts(QUERY_KINDS)}")
    return codegen.query(
        c,
        kind,
        argv=c.info.extra["argv"],
        depext=request.depext,
        extra_repos=request.repos(),
        directory=directory,
    )


def configure(c: Configured, request: Request, fs: VirtualFS, *, directory: Path | None = None) -> None:
    """Generate ``configure``'s files into ``fs`` (its messages are ``fs.messages``)."""
    from . import codegen

    codegen.configure(
        c,
        fs,
        argv=c.info.extra["argv"],
        depext=request.depext,
        extra_repos=request.repos(),
        directory=directory,
    )
