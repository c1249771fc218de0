"""ipywidgets 8 front ends for the builder and the run viewer: they only present (STYLE, anti-pattern 1).

Every button calls a :class:`~mirage_nb.notebook.builder.Builder` or
:class:`~mirage_nb.notebook.run_viewer.RunView` method and re-renders from
what it returns; the widgets hold view state only (selections, the cursor).
Each interactive widget carries a ``mnb-*`` CSS class so browser tests and
learners' own styles can find it.
"""

from __future__ import annotations

import base64
from typing import Any

import ipywidgets as W

from mirage_nb.errors import MirageNbError

from ._html import CSS, esc, highlight
from .builder import Builder
from .run_viewer import RunView

__all__ = ["BuilderWidget", "RunViewerWidget", "builder_widget", "run_viewer"]

_DEFAULT_TARGET = "(default)"


def _svg_img(svg: str, alt: str) -> str:
    data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return f'<img alt="{esc(alt)}" style="max-width:100%" src="data:image/svg+xml;base64,{data}"/>'


def _styled(body: str) -> str:
    return f'<div class="mirage-nb"><style>{CSS}</style>{body}</div>'


def _tagged(w: W.Widget, cls: str) -> W.Widget:
    w.add_class(cls)
    return w


class BuilderWidget(W.VBox):
    """The step-by-step builder: choose a type, a device, fill its arguments, a target; see everything update."""

    def __init__(self, builder: Builder | None = None, **kw: Any) -> None:
        self.builder = builder or Builder()
        b = self.builder
        self.name = _tagged(W.Text(value=b.state.name, description="name"), "mnb-name")
        self.target = _tagged(
            W.Dropdown(options=[_DEFAULT_TARGET, *b.catalog.targets()], value=_DEFAULT_TARGET, description="target"),
            "mnb-target",
        )
        self.type_choice = _tagged(W.Dropdown(options=b.types(), description="module type"), "mnb-type")
        self.add_button = _tagged(W.Button(description="add device", icon="plus"), "mnb-add")
        self.slot_choice = _tagged(W.Dropdown(options=[], description="slot"), "mnb-slot")
        self.provider_choice = _tagged(W.Dropdown(options=[], description="device"), "mnb-provider")
        self.provider_info = _tagged(W.HTML(), "mnb-provider-info")
        self.strings = _tagged(W.Text(value="", description="strings", placeholder="name=value, ..."), "mnb-strings")
        self.choose_button = _tagged(W.Button(description="choose", icon="check"), "mnb-choose")
        self.key_name = _tagged(W.Combobox(description="key", placeholder="no-dhcp", options=[]), "mnb-key-name")
        self.key_value = _tagged(W.Text(description="value", placeholder="true"), "mnb-key-value")
        self.key_button = _tagged(W.Button(description="set key"), "mnb-set-key")
        self.undo_button = _tagged(W.Button(description="undo", icon="undo"), "mnb-undo")
        self.hint = _tagged(W.HTML(), "mnb-hint")
        self.describe_out = _tagged(W.HTML(), "mnb-describe")
        self.graph_out = _tagged(W.HTML(), "mnb-graph")
        self.config_ml_out = _tagged(W.HTML(), "mnb-config-ml")
        self.config_py_out = _tagged(W.HTML(), "mnb-config-py")
        tabs = W.Tab(children=[self.describe_out, self.graph_out, self.config_ml_out, self.config_py_out])
        for i, t in enumerate(("describe", "graph", "config.ml", "config.py")):
            tabs.set_title(i, t)
        self.tabs = tabs
        super().__init__(
            children=[
                W.HBox([self.name, self.target]),
                W.HBox([self.type_choice, self.add_button]),
                W.HBox([self.slot_choice, self.provider_choice]),
                self.provider_info,
                W.HBox([self.strings, self.choose_button]),
                W.HBox([self.key_name, self.key_value, self.key_button]),
                W.HBox([self.undo_button, self.hint]),
                tabs,
            ],
            **kw,
        )
        self.add_class("mnb-builder")
        self.add_button.on_click(lambda _b: self._act(lambda: b.add_device(self.type_choice.value)))
        self.choose_button.on_click(lambda _b: self._act(self._choose))
        self.key_button.on_click(lambda _b: self._act(self._set_key))
        self.undo_button.on_click(lambda _b: self._act(b.undo))
        self.target.observe(self._on_target, names="value")
        self.name.observe(self._on_name, names="value")
        self.slot_choice.observe(lambda _c: self._fill_providers(), names="value")
        self.provider_choice.observe(lambda _c: self._show_provider(), names="value")
        self.error: str | None = None
        self.refresh()

    # -- actions: each one builder call, then a re-render ------------------------------------------

    def _act(self, f: Any) -> None:
        try:
            f()
            self.error = None
        except MirageNbError as e:
            self.error = str(e)
        except Exception as e:  # noqa: BLE001 - a bug of mirage_nb: shown, since widget errors go to a hidden log
            self.error = f"{type(e).__name__}: {e} (a bug in mirage_nb: please report it)"
        self.refresh()

    def _choose(self) -> None:
        path = self.slot_choice.value
        if path is None:
            raise MirageNbError("no slot to fill: add a device first")
        strings: dict[str, str] = {}
        for part in filter(None, (p.strip() for p in self.strings.value.split(","))):
            k, sep, v = part.partition("=")
            if not sep:
                raise MirageNbError(f"string arguments are name=value, not {part!r}")
            strings[k.strip()] = v.strip()
        self.builder.choose(path, self.provider_choice.value, strings)

    def _set_key(self) -> None:
        v = self.key_value.value.strip()
        self.builder.set_key(self.key_name.value.strip(), None if v == "" else (True if v == "true" else v))

    def _on_target(self, change: dict[str, Any]) -> None:
        v = change["new"]
        self._act(lambda: self.builder.set_target(None if v == _DEFAULT_TARGET else v))

    def _on_name(self, change: dict[str, Any]) -> None:
        self._act(lambda: self.builder.set_name(change["new"]))

    # -- rendering ------------------------------------------------------------------------------------

    def _fill_providers(self) -> None:
        path = self.slot_choice.value
        names = [e.name for e in self.builder.providers(path)] if path is not None else []
        if list(self.provider_choice.options) != names:
            self.provider_choice.options = names
        if names and self.provider_choice.value not in names:
            self.provider_choice.value = names[0]
        self._show_provider()

    def _show_provider(self) -> None:
        """The chosen catalog entry's OCaml-like signature, its string arguments and its doc."""
        name = self.provider_choice.value
        if not name:
            self.provider_info.value = ""
            return
        try:
            e = self.builder.catalog.entry(name)
        except MirageNbError:
            self.provider_info.value = ""
            return
        strings = [p.name for p in e.params if p.kind == "string"]
        need = f" — strings: {', '.join(s + '=...' for s in strings)}" if strings else ""
        self.provider_info.value = _styled(
            f"<code>{esc(e.name)} : {esc(e.signature)}</code>{esc(need)}<br/><small>{esc(e.doc)}</small>"
        )

    def refresh(self) -> None:
        """Re-render every output from the builder's current step."""
        step = self.builder.step()
        slots = [(f"{s.typ}: {s.label}", s.path) for s in step.open_slots]
        self.slot_choice.options = slots
        self.slot_choice.value = slots[0][1] if slots else None
        self._fill_providers()
        want_target = step.state.target or _DEFAULT_TARGET
        if self.target.value != want_target:
            self.target.unobserve(self._on_target, names="value")
            self.target.value = want_target
            self.target.observe(self._on_target, names="value")
        msg = self.error or step.hint
        cls = "mnb-problem" if (self.error or step.problems) else ""
        self.hint.value = _styled(f'<span class="{cls}">{esc(msg)}</span>')
        if step.describe is not None:
            self.describe_out.value = _styled(f"<pre>$ {esc(step.command)}\n{esc(step.describe)}</pre>")
        else:
            self.describe_out.value = _styled(f"<pre>$ {esc(step.command)}\n(incomplete: {esc(step.hint)})</pre>")
        self.graph_out.value = self._graph_html(step.dot, self._fold(step))
        keys = self.builder.available_keys() if step.complete else []
        if list(self.key_name.options) != keys:
            self.key_name.options = keys
        self.config_ml_out.value = _styled(highlight(step.config_ml, "ocaml"))
        self.config_py_out.value = _styled(highlight(step.config_py, "python"))

    def _fold(self, step: Any) -> Any:
        """The learner view of a complete build's graph (None while incomplete: no runtime devices yet)."""
        if not step.complete or step.dot is None:
            return None
        from ._learner import fold_of_app

        try:
            app = self.builder.application()
        except MirageNbError:
            return None
        return fold_of_app(app, self.builder.command_args(), source=step.dot)

    @staticmethod
    def _graph_html(dot: str | None, fold: Any = None) -> str:
        """The graph at full size in a scrolling pane, learner view first (ipywidgets runs no script)."""
        if dot is None:
            return _styled("<p>no device chosen yet</p>")
        from ._graphview import graph_view_html

        return _styled(graph_view_html(dot, fold, script=False))


class RunViewerWidget(W.VBox):
    """A run's console and logs, filtered by level and source, stepped through along a timeline."""

    def __init__(self, result: Any, **kw: Any) -> None:
        self.view = RunView(result)
        v = self.view
        self.levels = _tagged(
            W.SelectMultiple(options=v.levels(), value=tuple(v.levels()), description="levels"), "mnb-levels"
        )
        self.sources = _tagged(
            W.SelectMultiple(options=v.sources(), value=tuple(v.sources()), description="sources"), "mnb-sources"
        )
        n = max(len(v), 1)
        self.step = _tagged(W.IntSlider(value=n - 1, min=0, max=n - 1, description="step"), "mnb-step")
        self.play = W.Play(value=n - 1, min=0, max=n - 1, interval=300)
        W.jslink((self.play, "value"), (self.step, "value"))
        self.prev_button = _tagged(W.Button(description="◀"), "mnb-prev")
        self.next_button = _tagged(W.Button(description="▶ next second"), "mnb-next")
        self.event = _tagged(W.HTML(), "mnb-event")
        self.timeline = _tagged(W.HTML(), "mnb-timeline")
        self.console_out = _tagged(W.HTML(), "mnb-console")
        self.logs_out = _tagged(W.HTML(), "mnb-logs")
        super().__init__(
            children=[
                W.HBox([self.play, self.step, self.prev_button, self.next_button]),
                self.event,
                self.timeline,
                W.HBox([self.levels, self.sources]),
                self.console_out,
                self.logs_out,
            ],
            **kw,
        )
        self.add_class("mnb-run-viewer")
        for w in (self.levels, self.sources, self.step):
            w.observe(lambda _c: self.refresh(), names="value")
        self.prev_button.on_click(lambda _b: self._move(max(self.step.value - 1, 0)))
        self.next_button.on_click(lambda _b: self._move(self.view.next_time(self.step.value)))
        self.refresh()

    def _move(self, i: int) -> None:
        self.step.value = i

    def refresh(self) -> None:
        f = self.view.frame(self.step.value, levels=self.levels.value, sources=self.sources.value)
        self.event.value = _styled(f"<b>{esc(f.time)}</b> {esc(f.kind)}: {esc(f.detail)}")
        self.timeline.value = _styled(_svg_img(self.view.timeline_svg(cursor=f.index), "timeline"))
        self.console_out.value = _styled("<pre>" + esc("".join(c.text + "\n" for c in f.console)) + "</pre>")
        rows = "".join(
            f'<tr class="mnb-log-{esc(r.level.capitalize())}"><td>{esc(r.time_ns)}</td><td>{esc(r.source)}</td>'
            f"<td>{esc(r.level)}</td><td>{esc(r.message)}</td></tr>"
            for r in f.logs
        )
        self.logs_out.value = _styled(
            '<table class="mnb-keys"><tr><th>time (ns)</th><th>source</th><th>level</th><th>message</th></tr>'
            f"{rows}</table>"
        )


def builder_widget(name: str = "unikernel", **kw: Any) -> BuilderWidget:
    """A builder widget over a fresh :class:`Builder` (``builder_widget("network")``)."""
    return BuilderWidget(Builder(name, **kw))


def run_viewer(result: Any) -> RunViewerWidget:
    """A viewer for a run result (what ``%mirage run`` or ``app.run()`` returned)."""
    return RunViewerWidget(result)
