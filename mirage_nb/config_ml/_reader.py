"""Reading a whole config.ml: parse, evaluate each top-level item, return what ``register`` built."""

from __future__ import annotations

import contextlib
import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mirage_nb.errors import ConfigMlError

from . import _ast as A
from ._errors import LimitError, NoRegisterError, error_at
from ._eval import Env, Evaluator
from ._lexer import MAX_INPUT_CHARS
from ._limits import stack_room
from ._parser import parse
from ._scope import check_bindings, check_names
from ._span import Span
from ._stdlib import make_stdlib
from ._values import PyModule, StructModule

__all__ = ["Evaluation", "evaluate", "load", "loads"]


@dataclass
class Evaluation:
    """The outcome of evaluating a config.ml: every registered application and the top-level names."""

    program: A.Program
    apps: list[Any]
    values: dict[str, Any] = field(default_factory=dict)
    steps: int = 0

    @property
    def app(self) -> Any:
        """The last registered application (what ``mirage`` itself uses)."""
        if not self.apps:
            raise NoRegisterError(
                f"{self.program.span.file}: config.ml must call register "
                '(for example: let () = register "hello" [ main ]); this file never does'
            )
        return self.apps[-1]


def _default_mirage() -> object:
    import mirage_nb.mirage as mirage

    return mirage


def _register_hook(ev: Evaluator, real: Any) -> Any:
    """``register`` as the config sees it: records the application and returns ``()``, as in OCaml."""

    @functools.wraps(real)
    def register(*args: Any, **kwargs: Any) -> None:
        ev.registered.append(real(*args, **kwargs))
        return None

    return register


def _option(v: Any) -> Any:
    """A Python result that stands for an OCaml option (``None`` is ``None``)."""
    from ._values import NONE, some

    return NONE if v is None else some(v)


def _key_module(key: object) -> PyModule:
    """``Mirage.Key``: the Python module, with the functions that return options returning them."""
    from ._stdlib import native

    overrides = {}
    for name in ("find", "peek"):
        fn = getattr(key, name, None)
        if callable(fn):
            overrides[name] = native(f"Key.{name}", "pos pos", lambda a, b, fn=fn: _option(fn(a, b)))
    return PyModule("Key", key, overrides)


def _info_module() -> StructModule:
    """``Functoria.Info``: what a device's ``connect``/``configure`` can ask of its ``info``."""
    from ._stdlib import native

    def field(name: str, get: Any) -> Any:
        return native(f"Info.{name}", "pos", get)

    return StructModule(
        "Info",
        {
            "name": field("name", lambda i: i.name),
            "config_file": field("config_file", lambda i: i.config_file),
            "main": field("main", lambda i: i.main),
            "output": field("output", lambda i: _option(i.output)),
            "context": field("context", lambda i: i.context),
            "keys": field("keys", lambda i: list(i.keys)),
            "runtime_args": field("runtime_args", lambda i: list(i.runtime_args)),
            "packages": field("packages", lambda i: list(i.packages)),
            "package_names": field("package_names", lambda i: sorted(p.name for p in i.packages)),
            "libraries": field("libraries", lambda i: i.libraries()),
            "project_name": field("project_name", lambda i: i.project_name),
        },
    )


def _mirage_module(ev: Evaluator, obj: object, name: str) -> PyModule:
    overrides = {}
    real = getattr(obj, "register", None)
    if real is not None and callable(real):
        overrides["register"] = _register_hook(ev, real)
    submodules: dict[str, Any] = {"Info": _info_module()}
    key = getattr(obj, "Key", None)
    if key is not None:
        submodules["Key"] = _key_module(key)
    return PyModule(name, obj, overrides, submodules)


def _base_env(ev: Evaluator, mirage: object) -> Env:
    stdlib = make_stdlib(ev)
    modules = dict(stdlib.modules)
    modules["Mirage"] = _mirage_module(ev, mirage, "Mirage")
    with contextlib.suppress(ImportError):
        from mirage_nb.functoria import dsl

        modules["Functoria"] = _mirage_module(ev, dsl, "Functoria")
    return Env(None, values=stdlib.values, modules=modules, constrs=dict(stdlib.constrs), meter=ev)


def _eval_structure(ev: Evaluator, items: tuple[A.Item, ...], env: Env, into: StructModule | None) -> Env:
    for item in items:
        match item:
            case A.LetItem(rec=rec, bindings=bindings):
                check_bindings(ev, rec, bindings, env)
                env = ev.bind_let(rec, bindings, env, into.values if into is not None else None)
            case A.ExprItem(expr=e):
                check_names(ev, e, env)
                ev.eval(e, env)
            case A.OpenItem(path=path, include=include):
                opened = ev.module_at(path, env, item.span)
                env = Env(env, opened=opened)
                if include and into is not None and isinstance(opened, StructModule):
                    into.values.update(opened.values)
                    into.modules.update(opened.modules)
                    into.constrs.update(opened.constrs)
            case A.TypeItem(decls=decls):
                constrs = {c.name: len(c.args) for d in decls for c in (d.constructors or ())}
                if constrs:
                    env = Env(env, constrs=constrs)
                    if into is not None:
                        into.constrs.update(constrs)
            case A.ExceptionItem(decl=d):
                env = Env(env, constrs={d.name: len(d.args)})
                if into is not None:
                    into.constrs[d.name] = len(d.args)
            case A.ModuleItem(name=name, module=mexpr):
                if isinstance(mexpr, A.ModStruct):
                    sub = StructModule(name)
                    _eval_structure(ev, mexpr.items, env, sub)
                    mod: Any = sub
                else:
                    mod = ev.module_at(mexpr.path, env, mexpr.span)
                env = Env(env, modules={name: mod})
                if into is not None:
                    into.modules[name] = mod
            case A.ModuleTypeItem():
                pass
    return env


def evaluate(
    text: str,
    filename: str = "config.ml",
    *,
    mirage: object | None = None,
    max_steps: int | None = None,
) -> Evaluation:
    """Parse and evaluate ``text``; ``mirage`` replaces ``mirage_nb.mirage`` as OCaml's ``Mirage`` module.

    Raises only :class:`~mirage_nb.errors.ConfigMlError` (and its subclasses).
    """
    with stack_room():
        program = parse(text, filename)
        kwargs = {} if max_steps is None else {"max_steps": max_steps}
        ev = Evaluator(text, filename, **kwargs)
        env = _base_env(ev, mirage if mirage is not None else _default_mirage())
        top = StructModule("Config")
        try:
            _eval_structure(ev, program.items, env, top)
        except RecursionError:  # pragma: no cover - the depth limits are meant to prevent this
            raise error_at(LimitError, "config.ml nested too deeply", program.span, text) from None
    return Evaluation(program, list(ev.registered), dict(top.values), ev.steps)


def loads(text: str, filename: str = "config.ml", *, mirage: object | None = None) -> Any:
    """Evaluate config.ml source and return the application its (last) ``register`` built."""
    return evaluate(text, filename, mirage=mirage).app


def load(path: str | Path, *, mirage: object | None = None) -> Any:
    """Read and evaluate the config.ml at ``path`` (that file only) and return its application."""
    p = Path(path)
    name = str(path)
    try:
        size = p.stat().st_size
    except OSError:
        raise ConfigMlError(f"configuration file {name} missing") from None
    if size > 4 * MAX_INPUT_CHARS:
        raise error_at(LimitError, f"config file too large: {size} bytes", Span(name, 1, 1, 1, 1), None)
    try:
        text = p.read_bytes().decode("utf-8")
    except UnicodeDecodeError as err:
        raise ConfigMlError(f"{name}: the file is not UTF-8 text ({err.reason} at byte {err.start})") from None
    except OSError as err:
        raise ConfigMlError(f"configuration file {name} cannot be read: {err.strerror}") from None
    return loads(text, name, mirage=mirage)
