"""The step-by-step graph builder, in plain Python (the widgets in :mod:`.widgets` only present it).

A learner builds ``main "Unikernel.Main" (stackv4v6 @-> job)`` applied to
``generic_stackv4v6 default_network`` one choice at a time:

1. choose a module type the unikernel needs (:meth:`Builder.add_device`);
2. see the devices of the catalog that provide it (:meth:`Builder.providers`);
3. pick one (:meth:`Builder.choose`); a constructor's device arguments become
   new slots to fill, its string arguments are given as text;
4. choose the target and key values (:meth:`Builder.set_target`, :meth:`Builder.set_key`).

After each step :meth:`Builder.step` gives the graph, the describe output,
and the matching ``config.ml`` and Python config. The Python config is the
one evaluated, so the text a learner reads is exactly what produced the
graph. :meth:`Builder.undo` goes back one step; :meth:`Builder.export`
writes the configs.

The catalog (:class:`Catalog`) is read from the public names of
:mod:`mirage_nb.mirage`: device values (impls) and constructor functions.
A constructor's parameter types and result type are found by calling it
once with *probe* devices whose module type accepts any type and records
what the constructor expected of it (see :class:`_ProbeTyp`).
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import io
import itertools
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import ModuleType
from typing import Any

from mirage_nb.errors import ConfigError, MirageNbError
from mirage_nb.functoria.impl import Impl, impl, type_of
from mirage_nb.functoria.types import Typ

__all__ = [
    "Param",
    "CatalogEntry",
    "Catalog",
    "Slot",
    "Choice",
    "BuildState",
    "OpenSlot",
    "BuilderStep",
    "Builder",
    "BuilderError",
    "default_catalog",
]


class BuilderError(ConfigError):
    """A builder step that cannot be taken: an unknown device, a wrong type, a slot that does not exist."""


# -- the catalog -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Param:
    """A constructor's positional parameter: a device of module type ``typ``, or a string."""

    name: str
    kind: str  # "device" | "string"
    typ: str = ""


@dataclass(frozen=True, slots=True)
class CatalogEntry:
    """A public value of the device library that provides a module type."""

    name: str
    kind: str  # "value" | "constructor"
    typ: str
    params: tuple[Param, ...] = ()
    doc: str = ""

    @property
    def signature(self) -> str:
        """OCaml-like: ``generic_stackv4v6 : network impl -> stackv4v6 impl``."""
        parts = [f"{p.typ} impl" if p.kind == "device" else "string" for p in self.params]
        return " -> ".join([*parts, f"{self.typ} impl"])


class _ProbeTyp(Typ):
    """A module type equal to any other, remembering the first one it was compared with.

    Used once per constructor at catalog time: ``apply`` checks an argument
    with ``type_of(arg).same(expected)``, so a probe argument learns the
    parameter type the constructor wants without the constructor running
    anything but its ordinary type checks.
    """

    __slots__ = ("seen",)

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.seen: Typ | None = None

    def same(self, other: Typ) -> bool:
        if self.seen is None and not isinstance(other, _ProbeTyp):
            self.seen = other
        return True


def _first_line(doc: str | None) -> str:
    if not doc:
        return ""
    para = doc.strip().split("\n\n", 1)[0]
    return " ".join(para.split())


def _param_kind(p: inspect.Parameter) -> str | None:
    ann = p.annotation
    ann = ann if isinstance(ann, str) else getattr(ann, "__name__", str(ann))
    if ann in ("Impl", "impl"):
        return "device"
    if ann == "str":
        return "string"
    return None


def _probe(fn: Any, names: dict[int, str], types: list[Typ]) -> tuple[str, tuple[Param, ...]] | None:
    """The result type and parameters of a constructor, or None if it is not one the builder can offer."""
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return None
    ret = sig.return_annotation
    ret = ret if isinstance(ret, str) else getattr(ret, "__name__", "")
    if ret != "Impl":
        return None
    params: list[tuple[str, str, _ProbeTyp | None]] = []
    for p in sig.parameters.values():
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            return None
        if p.default is not p.empty:
            continue
        if p.kind == p.KEYWORD_ONLY:
            return None  # a required labelled argument the builder cannot fill
        kind = _param_kind(p)
        if kind is None:
            return None
        params.append((p.name, kind, _ProbeTyp(f"probe:{p.name}") if kind == "device" else None))
    args = [impl("Probe", t) if t is not None else "probe" for _n, _k, t in params]
    rtyp = _try_call(fn, args)
    if rtyp is not None:
        if any(t is not None and t.seen is None for _n, _k, t in params):
            return None
        ptypes = [t.seen if t is not None else None for _n, _k, t in params]
    else:
        # A probe compared from the other side (a match_impl whose default is the
        # argument) cannot learn its type: try the library's types instead, for
        # constructors of one or two devices, and keep the only combination that works.
        found = _search(fn, params, types)
        if found is None:
            return None
        rtyp, ptypes = found
    if isinstance(rtyp, _ProbeTyp) or rtyp.is_functor or id(rtyp) not in names:
        return None
    out: list[Param] = []
    for (name, kind, _t), pt in zip(params, ptypes, strict=True):
        if kind != "device":
            out.append(Param(name, kind))
        elif pt is None or id(pt) not in names:
            return None
        else:
            out.append(Param(name, kind, names[id(pt)]))
    return names[id(rtyp)], tuple(out)


def _try_call(fn: Any, args: list[Any]) -> Typ | None:
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            return type_of(fn(*args))
    except Exception:
        return None


def _search(fn: Any, params: list[tuple[str, str, Any]], types: list[Typ]) -> tuple[Typ, list[Any]] | None:
    slots = [i for i, (_n, k, _t) in enumerate(params) if k == "device"]
    if not 1 <= len(slots) <= 2:
        return None
    found: list[tuple[Typ, list[Any]]] = []
    for combo in itertools.product(types, repeat=len(slots)):
        args: list[Any] = ["probe"] * len(params)
        ptypes: list[Any] = [None] * len(params)
        for i, t in zip(slots, combo, strict=True):
            args[i] = impl("Probe", t)
            ptypes[i] = t
        r = _try_call(fn, args)
        if r is not None:
            found.append((r, ptypes))
            if len(found) > 1:
                return None
    return found[0] if found else None


class Catalog:
    """The devices a builder offers: public impl values and constructor functions of a namespace.

    Immutable once built. ``types`` maps each public module type's name to
    it; ``entries`` lists what provides those types, sorted by name.
    """

    def __init__(self, namespace: Mapping[str, Any], *, module: str = "mirage_nb.mirage") -> None:
        self.module = module
        self.namespace: Mapping[str, Any] = dict(namespace)
        # One name per module type: its own name when exported under it, else its
        # longest alias (``ip`` is exported as ipv4, ipv6 and ipv4v6: ipv4v6).
        aliases: dict[int, list[str]] = {}
        objs: dict[int, Typ] = {}
        for name, v in self.namespace.items():
            if isinstance(v, Typ) and not v.is_functor and not name.startswith("_"):
                aliases.setdefault(id(v), []).append(name)
                objs[id(v)] = v
        types: dict[str, Typ] = {}
        for i, names in aliases.items():
            own = objs[i].name
            best = own if own in names else sorted(names, key=lambda n: (-len(n), n))[0]
            types[best] = objs[i]
        self.types: Mapping[str, Typ] = dict(sorted(types.items()))
        by_id = {id(t): n for n, t in self.types.items()}
        entries: list[CatalogEntry] = []
        for name in sorted(self.namespace):
            v = self.namespace[name]
            if name.startswith("_") or name in _NOT_DEVICES:
                continue
            if isinstance(v, Impl):
                try:
                    t = type_of(v)
                except Exception:
                    continue
                if not t.is_functor and id(t) in by_id:
                    entries.append(CatalogEntry(name, "value", by_id[id(t)], (), _impl_doc(v)))
            elif inspect.isfunction(v):
                probed = _probe(v, by_id, list(self.types.values()))
                if probed is not None:
                    entries.append(CatalogEntry(name, "constructor", probed[0], probed[1], _first_line(v.__doc__)))
        self.entries: tuple[CatalogEntry, ...] = tuple(entries)
        self._by_name = {e.name: e for e in entries}

    @staticmethod
    def from_module(module: ModuleType) -> Catalog:
        names = getattr(module, "__all__", None) or [n for n in vars(module) if not n.startswith("_")]
        return Catalog({n: getattr(module, n) for n in names}, module=module.__name__)

    def entry(self, name: str) -> CatalogEntry:
        try:
            return self._by_name[name]
        except KeyError:
            raise BuilderError(f"no device named {name!r} in the catalog of {self.module}") from None

    def providers(self, typ: str) -> list[CatalogEntry]:
        """The entries whose module type is ``typ``: values first, then constructors."""
        return sorted((e for e in self.entries if e.typ == typ), key=lambda e: (e.kind != "value", e.name))

    def provided_types(self) -> list[str]:
        """Module types at least one entry provides (the choices for a unikernel's argument)."""
        have = {e.typ for e in self.entries}
        return [t for t in self.types if t in have and t != "job"]

    def targets(self) -> list[str]:
        """The values of ``-t``: read from the ``target`` key of the namespace's ``Key`` module."""
        key = getattr(self.namespace.get("Key"), "target", None)
        conv = getattr(getattr(key, "arg", None), "conv", None)
        return list(getattr(conv, "alternatives", ()) or ())


# Public names of the library that are not devices (DSL combinators and helpers).
_NOT_DEVICES = frozenset(
    {
        "main",
        "impl",
        "register",
        "if_impl",
        "match_impl",
        "abstract",
        "dep",
        "key",
        "typ",
        "arrow",
        "package",
        "runtime_arg",
        "code",
    }
)


def _impl_doc(v: Impl) -> str:
    dev = getattr(v, "dev", None)
    return _first_line(getattr(dev, "doc", "")) if dev is not None else ""


@functools.cache
def default_catalog() -> Catalog:
    """The catalog of :mod:`mirage_nb.mirage`, built once (it is immutable)."""
    import mirage_nb.mirage as lib

    return Catalog.from_module(lib)


# -- the state of a build ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Choice:
    """A slot's filling: a catalog entry and its arguments (device slots, or strings)."""

    entry: str
    args: tuple[Slot | str, ...] = ()


@dataclass(frozen=True, slots=True)
class Slot:
    """A place for a device of module type ``typ``, empty until a choice fills it."""

    typ: str
    choice: Choice | None = None

    @property
    def complete(self) -> bool:
        c = self.choice
        return c is not None and all(not isinstance(a, Slot) or a.complete for a in c.args)


@dataclass(frozen=True, slots=True)
class BuildState:
    """Everything a build has chosen so far (immutable: each step makes a new one)."""

    name: str = "unikernel"
    module: str = "Unikernel.Main"
    slots: tuple[Slot, ...] = ()
    target: str | None = None
    keys: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class OpenSlot:
    """A slot still to fill: where it is, its type, and a label for a learner."""

    path: tuple[int, ...]
    typ: str
    label: str


@dataclass(frozen=True)
class BuilderStep:
    """What the builder shows after a step: configs always, describe and graph once they can be computed."""

    state: BuildState
    open_slots: tuple[OpenSlot, ...]
    complete: bool
    config_ml: str
    config_py: str
    command: str
    describe: str | None
    dot: str | None
    problems: tuple[str, ...] = field(default=())

    @property
    def hint(self) -> str:
        """The next thing to do, in words."""
        if self.problems:
            return self.problems[0]
        if not self.state.slots:
            return "choose a module type your unikernel needs (or build it as a job without devices)"
        if self.open_slots:
            s = self.open_slots[0]
            return f"choose a {s.typ} device for {s.label}"
        return "complete: choose a target and keys, or export the config"


# -- the builder ------------------------------------------------------------------------------


class Builder:
    """A build in progress: the current state, its history (for undo), and the catalog it draws on."""

    def __init__(
        self, name: str = "unikernel", *, module: str = "Unikernel.Main", catalog: Catalog | None = None
    ) -> None:
        self.catalog = catalog or default_catalog()
        _check_name(name)
        self.history: list[BuildState] = [BuildState(name=name, module=module)]
        self._steps: dict[BuildState, BuilderStep] = {}

    @property
    def state(self) -> BuildState:
        return self.history[-1]

    def _push(self, s: BuildState) -> BuildState:
        if s != self.state:
            self.history.append(s)
        return s

    def undo(self) -> BuildState:
        """Go back one step (nothing happens at the first state)."""
        if len(self.history) > 1:
            self.history.pop()
        return self.state

    def reset(self) -> BuildState:
        return self._push(BuildState(name=self.state.name, module=self.state.module))

    # -- steps -----------------------------------------------------------------------------

    def types(self) -> list[str]:
        """Step 1: the module types a unikernel can ask for (each has a device in the catalog)."""
        return self.catalog.provided_types()

    def set_name(self, name: str) -> BuildState:
        _check_name(name)
        return self._push(replace(self.state, name=name))

    def set_module(self, module: str) -> BuildState:
        if not re.fullmatch(r"[A-Z][A-Za-z0-9_']*(\.[A-Z][A-Za-z0-9_']*)*", module or ""):
            raise BuilderError(f"the unikernel module must be an OCaml module path like Unikernel.Main, not {module!r}")
        return self._push(replace(self.state, module=module))

    def add_device(self, typ: str) -> tuple[int, ...]:
        """Add an argument of module type ``typ`` to the unikernel's functor; returns its slot path."""
        if typ not in self.catalog.types:
            raise BuilderError(f"unknown module type {typ!r}: expected one of {', '.join(self.types())}")
        self._push(replace(self.state, slots=(*self.state.slots, Slot(typ))))
        return (len(self.state.slots) - 1,)

    def remove_device(self, index: int) -> BuildState:
        slots = self.state.slots
        if not 0 <= index < len(slots):
            raise BuilderError(f"the unikernel has no argument {index + 1} (it has {len(slots)})")
        return self._push(replace(self.state, slots=slots[:index] + slots[index + 1 :]))

    def slot(self, path: Iterable[int]) -> Slot:
        return _get(self.state.slots, tuple(path))

    def providers(self, path: Iterable[int]) -> list[CatalogEntry]:
        """Step 2: the catalog's devices that can fill the slot at ``path``."""
        return self.catalog.providers(self.slot(path).typ)

    def choose(self, path: Iterable[int], entry: str, strings: Mapping[str, str] | None = None) -> BuildState:
        """Step 3: fill the slot at ``path`` with a catalog entry (its device arguments become open slots).

        ``strings`` gives the constructor's string arguments by parameter name
        (``{"dir": "htdocs"}`` for ``generic_kv_ro``).
        """
        path = tuple(path)
        slot = self.slot(path)
        e = self.catalog.entry(entry)
        if e.typ != slot.typ:
            raise BuilderError(f"{entry} provides {e.typ}, but this slot needs a {slot.typ} device")
        strings = dict(strings or {})
        args: list[Slot | str] = []
        for p in e.params:
            if p.kind == "device":
                args.append(Slot(p.typ))
            else:
                v = strings.pop(p.name, None)
                if v is None:
                    raise BuilderError(f"{entry} needs its string argument {p.name!r}")
                args.append(str(v))
        if strings:
            raise BuilderError(f"{entry} has no string argument {', '.join(map(repr, sorted(strings)))}")
        new = Slot(slot.typ, Choice(entry, tuple(args)))
        return self._push(replace(self.state, slots=_set(self.state.slots, path, new)))

    def clear(self, path: Iterable[int]) -> BuildState:
        path = tuple(path)
        slot = self.slot(path)
        return self._push(replace(self.state, slots=_set(self.state.slots, path, Slot(slot.typ))))

    def set_target(self, target: str | None) -> BuildState:
        """Step 4: the target (``-t``); None for the default."""
        targets = self.catalog.targets()
        if target is not None and targets and target not in targets:
            raise BuilderError(f"unknown target {target!r}: expected one of {', '.join(targets)}")
        return self._push(replace(self.state, target=target))

    def set_key(self, name: str, value: str | bool | None) -> BuildState:
        """Step 4: a key's value as on the command line (``True`` sets a flag; None removes it)."""
        if not re.fullmatch(r"[a-z0-9][a-z0-9_-]*", name or ""):
            raise BuilderError(f"a key name is lowercase letters, digits, - and _, not {name!r}")
        keys = tuple((k, v) for k, v in self.state.keys if k != name)
        if value is not None and value is not False:
            keys = (*keys, (name, "true" if value is True else str(value)))
        return self._push(replace(self.state, keys=tuple(sorted(keys))))

    def available_keys(self) -> list[str]:
        """The keys the built application reads, besides the target (empty while incomplete)."""
        if self.open_slots():
            return []
        try:
            keys = self.application().keys()
        except MirageNbError:
            return []
        return sorted({k.name for k in keys} - {"target"})

    def open_slots(self) -> list[OpenSlot]:
        """The slots still empty, depth first in argument order."""
        out: list[OpenSlot] = []

        def walk(slots: tuple[Slot | str, ...], path: tuple[int, ...], owner: str) -> None:
            for i, s in enumerate(slots):
                if not isinstance(s, Slot):
                    continue
                p = (*path, i)
                if s.choice is None:
                    out.append(OpenSlot(p, s.typ, f"argument {i + 1} of {owner}"))
                else:
                    walk(s.choice.args, p, s.choice.entry)

        walk(self.state.slots, (), self.state.module)
        return out

    # -- results -----------------------------------------------------------------------------

    def command_args(self) -> list[str]:
        """The command-line arguments for the target and keys (``-t hvt --no-dhcp``)."""
        args = ["-t", self.state.target] if self.state.target else []
        for k, v in self.state.keys:
            args.append(f"--{k}" if v == "true" else f"--{k}={v}")
        return args

    def config_ml(self) -> str:
        return render_config(self.state, self.catalog, "ocaml")

    def config_py(self) -> str:
        return render_config(self.state, self.catalog, "python")

    def application(self) -> Any:
        """The application the Python config registers (raises :class:`BuilderError` while incomplete)."""
        open_ = self.open_slots()
        if open_:
            raise BuilderError(f"the graph is incomplete: {open_[0].label} needs a {open_[0].typ} device")
        return evaluate_config(self.config_py(), self.catalog)

    def describe(self) -> str:
        from mirage_nb.functoria.tool import run_verb

        return run_verb(self.application(), "describe", self.command_args()).stdout

    def dot(self) -> str:
        from mirage_nb.functoria.dot import render_dot

        c = self.application().configured(self.command_args(), verb="describe")
        return render_dot(c.impl, 0) + "\n"

    def step(self) -> BuilderStep:
        """Everything to show for the current state (memoised per state: a state is a value)."""
        s = self.state
        cached = self._steps.get(s)
        if cached is not None:
            return cached
        open_ = tuple(self.open_slots())
        problems: list[str] = []
        describe = dot = None
        if not open_:
            try:
                describe = self.describe()
                dot = self.dot()
            except MirageNbError as e:
                problems.append(str(e))
        else:
            dot = self._partial_dot()
        cmd = " ".join(["mirage", "describe", *self.command_args()])
        step = BuilderStep(s, open_, not open_, self.config_ml(), self.config_py(), cmd, describe, dot, tuple(problems))
        self._steps[s] = step
        return step

    def _partial_dot(self) -> str | None:
        """While incomplete: the graph of the unikernel's arguments already complete."""
        from mirage_nb.functoria.dot import render_dot

        done = [i for i, s in enumerate(self.state.slots) if s.complete]
        if not done:
            return None
        try:
            ns = _namespace(self.catalog)
            terms = [_eval_slot(self.state.slots[i], ns) for i in done]
            if len(terms) == 1:
                return render_dot(terms[0], 0) + "\n"
            from mirage_nb.functoria.types import job

            holder = impl("Partial", _arrow_of([type_of(t) for t in terms], job))
            return render_dot(holder(*terms), 0) + "\n"
        except Exception:
            return None

    def export(self, directory: str | Path | None = None) -> dict[str, str]:
        """The configs by file name (``config.ml``, ``config.py``); written into ``directory`` if given."""
        files = {"config.ml": self.config_ml(), "config.py": self.config_py()}
        if directory is not None:
            d = Path(directory)
            d.mkdir(parents=True, exist_ok=True)
            for name, text in files.items():
                (d / name).write_text(text, encoding="utf-8")
        return files


def _check_name(name: str) -> None:
    if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]*", name):
        raise BuilderError(f"a unikernel name is letters, digits, - and _, not {name!r}")


def _arrow_of(params: list[Typ], res: Typ) -> Typ:
    from mirage_nb.functoria.types import arrow

    t = res
    for p in reversed(params):
        t = arrow(p, t)
    return t


def _get(slots: tuple[Slot | str, ...], path: tuple[int, ...]) -> Slot:
    if not path:
        raise BuilderError("a slot path is not empty")
    i = path[0]
    if not 0 <= i < len(slots) or not isinstance(slots[i], Slot):
        raise BuilderError(f"there is no device slot at {list(path)}")
    s = slots[i]
    assert isinstance(s, Slot)
    if len(path) == 1:
        return s
    if s.choice is None:
        raise BuilderError(f"there is no device slot at {list(path)}: its parent is still empty")
    return _get(s.choice.args, path[1:])


def _set(slots: tuple[Slot | str, ...], path: tuple[int, ...], new: Slot) -> tuple[Any, ...]:
    i = path[0]
    _get(slots, path)  # checks the path
    if len(path) == 1:
        return slots[:i] + (new,) + slots[i + 1 :]
    s = slots[i]
    assert isinstance(s, Slot) and s.choice is not None
    inner = Slot(s.typ, Choice(s.choice.entry, _set(s.choice.args, path[1:], new)))
    return slots[:i] + (inner,) + slots[i + 1 :]


# -- the configs as text ----------------------------------------------------------------------


def _let_names(state: BuildState, catalog: Catalog) -> list[str]:
    taken = set(catalog.namespace) | {"main", "app", "register"}
    out: list[str] = []
    for s in state.slots:
        base = re.sub(r"(v4v6|v4|v6)$", "", s.typ) or s.typ
        if base in taken:
            base += "_dev"
        name, n = base, 2
        while name in out:
            name, n = f"{base}{n}", n + 1
        out.append(name)
    return out


def _ocaml_string(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _expr(slot: Slot, lang: str, nested: bool) -> str:
    c = slot.choice
    if c is None:
        return f"(* a {slot.typ} device *)" if lang == "ocaml" else f"...  # a {slot.typ} device"
    if not c.args:
        return c.entry
    if lang == "ocaml":
        parts = [_ocaml_string(a) if isinstance(a, str) else _expr(a, lang, True) for a in c.args]
        e = " ".join([c.entry, *parts])
        return f"({e})" if nested else e
    parts = [json.dumps(a) if isinstance(a, str) else _expr(a, lang, True) for a in c.args]
    return f"{c.entry}({', '.join(parts)})"


def render_config(state: BuildState, catalog: Catalog, lang: str) -> str:
    """The ``config.ml`` (``lang="ocaml"``) or Python config (``"python"``) of a build state."""
    names = _let_names(state, catalog)
    types = [s.typ for s in state.slots]
    if lang == "ocaml":
        mtype = " @-> ".join([*types, "job"])
        lines = ["open Mirage", "", f"let main = main {_ocaml_string(state.module)} ({mtype})"]
        lines += [f"let {n} = {_expr(s, lang, False)}" for n, s in zip(names, state.slots, strict=True)]
        applied = " $ ".join(["main", *names])
        lines.append(f"let () = register {_ocaml_string(state.name)} [ {applied} ]")
        return "\n".join(lines) + "\n"
    mtype = " @ ".join([*types, "job"])
    lines = [f"from {catalog.module} import *", "", f"main = main({json.dumps(state.module)}, {mtype})"]
    lines += [f"{n} = {_expr(s, lang, False)}" for n, s in zip(names, state.slots, strict=True)]
    applied = f"main({', '.join(names)})" if names else "main"
    lines.append(f"app = register({json.dumps(state.name)}, [{applied}])")
    return "\n".join(lines) + "\n"


def _namespace(catalog: Catalog) -> dict[str, Any]:
    return dict(catalog.namespace)


def _eval_slot(slot: Slot, ns: Mapping[str, Any]) -> Impl:
    c = slot.choice
    if c is None:
        raise BuilderError(f"a {slot.typ} device is still to choose")
    v = ns[c.entry]
    if not c.args:
        return v
    return v(*[a if isinstance(a, str) else _eval_slot(a, ns) for a in c.args])


def evaluate_config(source: str, catalog: Catalog) -> Any:
    """Run a Python config the builder wrote and return the application it registers."""
    from mirage_nb.functoria.app import collecting_registrations

    ns: dict[str, Any] = {"__name__": "__mirage_config__"}
    with collecting_registrations() as apps, contextlib.redirect_stdout(io.StringIO()):
        try:
            exec(compile(source, "config.py", "exec"), ns)  # text the builder generated from catalog names
        except MirageNbError:
            raise
        except Exception as e:
            raise BuilderError(f"the generated config failed: {type(e).__name__}: {e}") from None
    if not apps:
        raise BuilderError("the generated config registered no application")
    return apps[-1]
