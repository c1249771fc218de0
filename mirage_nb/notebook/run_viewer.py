"""Looking through a simulated run: console and logs filtered by level and source, a timeline, stepping.

Plain Python over the simulator's :class:`~mirage_nb.sim.run.RunResult`
(the widgets in :mod:`.widgets` only present it). A *step* is one timeline
event, in the order the run recorded them; :meth:`RunView.frame` gives what
had happened by that step, so a learner can walk through a boot device by
device and a run second by second of virtual time.
"""

from __future__ import annotations

import html
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from mirage_nb.errors import MirageNbError

from ._text import format_ns

__all__ = ["LEVELS", "RunView", "RunFrame", "timeline_svg"]

LEVELS = ("app", "error", "warning", "info", "debug")
"""Logs' levels, most important first (the order of ``Logs.level``)."""


def _level_rank(level: str) -> int:
    lv = level.lower()
    return LEVELS.index(lv) if lv in LEVELS else len(LEVELS)


@dataclass(frozen=True, slots=True)
class RunFrame:
    """The run as of one step: the step's event, and the console lines and log records up to its time."""

    index: int
    time_ns: int
    kind: str
    detail: str
    console: tuple[Any, ...]
    logs: tuple[Any, ...]

    @property
    def time(self) -> str:
        return format_ns(self.time_ns)


class RunView:
    """A run result, seen through filters and a cursor. Holds no widget state, only the result."""

    def __init__(self, result: Any) -> None:
        for attr in ("console", "logs", "timeline", "end_ns"):
            if not hasattr(result, attr):
                raise MirageNbError(f"RunView expects a simulated run's result (from %mirage run), not {result!r}")
        self.result = result
        self.events: tuple[Any, ...] = tuple(result.timeline)
        self._counts = self._prefix_counts()

    def _prefix_counts(self) -> list[tuple[int, int]]:
        """Per step, how many console lines and log records the run had produced by then.

        The timeline records each console line (``stdout``/``stderr``) and each
        log record (``log``) in order, so counting them is exact even when many
        things happen at one virtual time. A timeline that does not record them
        falls back to everything up to the step's time.
        """
        console, logs = self.result.console, self.result.logs
        kinds = [e.kind for e in self.events]
        exact = sum(k in ("stdout", "stderr") for k in kinds) == len(console) and sum(k == "log" for k in kinds) == len(
            logs
        )
        out: list[tuple[int, int]] = []
        c = lg = 0
        for e in self.events:
            if exact:
                c += e.kind in ("stdout", "stderr")
                lg += e.kind == "log"
                out.append((c, lg))
            else:
                out.append((sum(x.time_ns <= e.time_ns for x in console), sum(x.time_ns <= e.time_ns for x in logs)))
        return out

    # -- what there is to filter on ------------------------------------------------------------

    def sources(self) -> list[str]:
        """The log sources that reported something, sorted by name."""
        return sorted({r.source for r in self.result.logs})

    def levels(self) -> list[str]:
        """The levels that occur, most important first."""
        return sorted({r.level.lower() for r in self.result.logs}, key=_level_rank)

    def kinds(self) -> list[str]:
        """Timeline event kinds, in order of first appearance."""
        return list(dict.fromkeys(e.kind for e in self.events))

    # -- filtered views -------------------------------------------------------------------------

    def logs(
        self,
        levels: Collection[str] | None = None,
        sources: Collection[str] | None = None,
        until_ns: int | None = None,
    ) -> list[Any]:
        """Log records whose level and source are selected (None: all), up to ``until_ns``."""
        lv = None if levels is None else {x.lower() for x in levels}
        return [
            r
            for r in self.result.logs
            if (lv is None or r.level.lower() in lv)
            and (sources is None or r.source in sources)
            and (until_ns is None or r.time_ns <= until_ns)
        ]

    def max_level(self, level: str) -> list[str]:
        """The levels shown when the threshold is ``level`` (``info`` shows app, error, warning, info)."""
        if level.lower() not in LEVELS:
            raise MirageNbError(f"unknown log level {level!r}: expected one of {', '.join(LEVELS)}")
        return list(LEVELS[: LEVELS.index(level.lower()) + 1])

    def console(self, streams: Collection[str] | None = None, until_ns: int | None = None) -> list[Any]:
        return [
            c
            for c in self.result.console
            if (streams is None or c.stream in streams) and (until_ns is None or c.time_ns <= until_ns)
        ]

    # -- stepping ---------------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.events)

    def frame(
        self,
        index: int,
        *,
        levels: Collection[str] | None = None,
        sources: Collection[str] | None = None,
    ) -> RunFrame:
        """What had happened by step ``index`` (0-based; negative counts from the end)."""
        if not self.events:
            return RunFrame(
                0,
                self.result.end_ns,
                "end",
                "the run recorded no event",
                tuple(self.result.console),
                tuple(self.logs(levels, sources)),
            )
        n = len(self.events)
        if not -n <= index < n:
            raise MirageNbError(f"the run has {n} steps: step {index} does not exist")
        i = index % n
        e = self.events[i]
        n_console, n_logs = self._counts[i]
        logs = self.result.logs[:n_logs]
        lv = None if levels is None else {x.lower() for x in levels}
        logs = tuple(
            r for r in logs if (lv is None or r.level.lower() in lv) and (sources is None or r.source in sources)
        )
        return RunFrame(i, e.time_ns, e.kind, e.detail, tuple(self.result.console[:n_console]), logs)

    def next_time(self, index: int) -> int:
        """The first step after ``index`` at a later virtual time (to step second by second)."""
        if not self.events:
            return 0
        t = self.events[index].time_ns
        for j in range(index + 1, len(self.events)):
            if self.events[j].time_ns > t:
                return j
        return len(self.events) - 1

    def timeline_svg(self, cursor: int | None = None, kinds: Sequence[str] | None = None) -> str:
        return timeline_svg(self.events, self.result.end_ns, cursor=cursor, kinds=kinds)


_W, _LEFT, _ROW, _TOP = 640, 90, 18, 8


def timeline_svg(
    events: Sequence[Any], end_ns: int, *, cursor: int | None = None, kinds: Sequence[str] | None = None
) -> str:
    """The timeline as a small SVG: one row per event kind, a mark per event over virtual time, the cursor.

    Deterministic: positions depend only on the events' times and the run's end.
    """
    kinds = list(kinds) if kinds is not None else list(dict.fromkeys(e.kind for e in events))
    span = max(end_ns, max((e.time_ns for e in events), default=0), 1)
    height = _TOP * 2 + _ROW * max(len(kinds), 1) + 16
    width = _W

    def x(t: int) -> float:
        return round(_LEFT + (width - _LEFT - 10) * t / span, 2)

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" class="mirage-nb-timeline" font-family="sans-serif" font-size="11">',
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="white"/>',
    ]
    for r, k in enumerate(kinds):
        y = _TOP + r * _ROW + _ROW / 2
        out.append(f'<text x="4" y="{y + 4}" fill="#333">{html.escape(k)}</text>')
        out.append(f'<line x1="{_LEFT}" y1="{y}" x2="{width - 10}" y2="{y}" stroke="#ddd"/>')
    row_of = {k: i for i, k in enumerate(kinds)}
    for i, e in enumerate(events):
        if e.kind not in row_of:
            continue
        y = _TOP + row_of[e.kind] * _ROW + _ROW / 2
        colour = "#c00" if cursor == i else "#36c"
        out.append(
            f'<circle cx="{x(e.time_ns)}" cy="{y}" r="3" fill="{colour}">'
            f"<title>{html.escape(format_ns(e.time_ns))} {html.escape(e.kind)}: "
            f"{html.escape(e.detail)}</title></circle>"
        )
    axis_y = _TOP + _ROW * max(len(kinds), 1) + 4
    out.append(f'<line x1="{_LEFT}" y1="{axis_y}" x2="{width - 10}" y2="{axis_y}" stroke="#999"/>')
    out.append(f'<text x="{_LEFT}" y="{axis_y + 12}" fill="#333">0s</text>')
    out.append(
        f'<text x="{width - 10}" y="{axis_y + 12}" fill="#333" text-anchor="end">{html.escape(format_ns(span))}</text>'
    )
    if cursor is not None and 0 <= cursor < len(events):
        cx = x(events[cursor].time_ns)
        out.append(f'<line x1="{cx}" y1="{_TOP}" x2="{cx}" y2="{axis_y}" stroke="#c00" stroke-dasharray="3,2"/>')
    out.append("</svg>")
    return "\n".join(out) + "\n"
