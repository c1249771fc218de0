"""Devices a ``config.ml`` defines itself, run from the unikernel's own Python modules.

A config may make a device of a module of the unikernel's directory::

    let conn = impl ~connect "Connect.Make" (tcpv4v6 @-> mimic @-> conn)

where ``connect`` writes ``Connect_make__27.connect _mimic__26`` into
``main.ml``. The simulator finds the module's twin beside ``unikernel.py``
(``connect.py``, found as a local library is; the very module when the
unikernel or a library it loads already did, so their values are shared), applies its functor
(``Make``) to the modules of the devices it was applied to, and runs the
connect code when it has the usual shape ``M.connect a b ...`` (or
``Lwt.return (M.v a b)``): each argument names one of the devices'
connected values. Other OCaml in the connect code is not evaluated: the
error says which code was met.
"""

from __future__ import annotations

import os
import re
import types
from typing import Any

from mirage_nb.errors import SimulationError

__all__ = ["connect_local_module"]

_CALL = re.compile(r"^\s*(?:Lwt\.return\s*\(\s*)?(\w+)\.(\w+)((?:\s+_\w+)*)\s*\)?\s*$")


def _loaded(unikernel: Any, name: str) -> Any:
    """The module ``name``.py the unikernel (or a library beside it) already holds, so both share its values."""
    home = os.path.dirname(os.path.abspath(getattr(unikernel, "__file__", "") or "."))
    seen: set[int] = set()
    todo = [unikernel]
    while todo:
        m = todo.pop()
        for v in list(vars(m).values()):
            f = getattr(v, "__file__", None) if isinstance(v, types.ModuleType) else None
            if f is None or id(v) in seen or os.path.dirname(os.path.abspath(f)) != home:
                continue
            seen.add(id(v))
            if os.path.basename(f) == f"{name}.py":
                return v
            todo.append(v)
    return None


async def connect_local_module(booter: Any, node: Any) -> tuple[Any, Any]:
    """Boot connector of the ``local_module`` kind (see the module docstring)."""
    from mirage_nb.sim.boot import local_library
    from mirage_nb.sim.netdev._module import invoke

    p = node.params
    code, impl_name = str(p["code"]), str(p["impl_name"])
    where = f"{p['pos'][0]}:{p['pos'][1]}" if p.get("pos") else "config.ml"
    m = _CALL.match(code)
    if m is None or m.group(1) != impl_name:
        raise SimulationError(
            f"{where}: the simulator runs a config's own device when its connect code is "
            f"`{impl_name}.connect arg...`, got {code.strip()!r}"
        )
    fn, arg_names = m.group(2), m.group(3).split()
    parts = node.module_name.split(".")
    ukfile = getattr(booter.unikernel, "__file__", None)
    if ukfile is None:
        raise SimulationError(f"{node.module_name}: the unikernel has no directory to find {parts[0].lower()}.py in")
    lib = _loaded(booter.unikernel, parts[0].lower()) or local_library(ukfile, parts[0].lower())
    target: Any = lib
    for part in parts[1:]:
        target = getattr(target, part, None)
        if target is None:
            raise SimulationError(f"{node.module_name}: {parts[0].lower()}.py defines no {part}")
    if len(parts) > 1:  # a functor: apply it to the modules of its arguments
        try:
            target = target(*[booter.modules.get(a) for a in node.args])
        except TypeError as e:
            raise SimulationError(f"{node.module_name} applied to {len(node.args)} modules: {e}") from None
    values = {"_" + n: booter.values.get(n) for n in p["names"]}
    unknown = [a for a in arg_names if a not in values]
    if unknown:
        raise SimulationError(f"{where}: {code.strip()!r} names {', '.join(unknown)}, which is not a device of it")
    f = getattr(target, fn, None)
    if f is None:
        raise SimulationError(f"{node.module_name} has no function {fn}")
    value = await invoke(f, *[values[a] for a in arg_names])
    return value, target
