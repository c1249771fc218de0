"""opam packages a device needs, with their version bounds (twin of ``Functoria.Package``)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from mirage_nb.errors import ConfigError

__all__ = ["Package", "package", "merge_all"]

_VALID = re.compile(r"^[A-Za-z0-9_-]+$")


@dataclass(frozen=True, slots=True)
class Package:
    """One opam package: scope (``monorepo`` or ``switch``), build-only flag, libraries, bounds."""

    name: str
    scope: str = "monorepo"
    build: bool = False
    libs: frozenset[str] = frozenset()
    min: frozenset[str] = frozenset()
    max: frozenset[str] = frozenset()
    pin: tuple[str, str] | None = None

    def libraries(self) -> list[str]:
        return sorted(self.libs)

    def merge(self, other: Package) -> Package | None:
        """Twin of ``Package.merge``: unions of libraries and bounds; None across scopes."""
        if self.name != other.name or self.scope != other.scope:
            return None
        if self.pin is None or other.pin is None:
            pin = self.pin or other.pin
        elif self.pin == other.pin:
            pin = self.pin
        else:
            raise ConfigError(f"conflicting pin depends for {self.name}")
        libs = self.libs | other.libs
        if pin is not None:
            # A pin wins over version bounds.
            return Package(self.name, self.scope, self.build or other.build, libs, frozenset(), frozenset(), pin)
        return Package(
            self.name, self.scope, self.build or other.build, libs, self.min | other.min, self.max | other.max
        )

    def constraints(self) -> list[str]:
        items = ["?monorepo"] if self.scope == "monorepo" else []
        if self.build:
            items.append("build")
        items += [f'>= "{v}"' for v in sorted(self.min)]
        items += [f'< "{v}"' for v in sorted(self.max)]
        return items

    def pp(self, surround: str = "") -> str:
        """``Package.pp``: ``"name" { ?monorepo & >= "1.0" & < "2.0" }``."""
        c = self.constraints()
        tail = f" {{ {' & '.join(c)} }}" if c else ""
        return f"{surround}{self.name}{surround}{tail}"


def package(
    name: str,
    *,
    scope: str = "monorepo",
    build: bool = False,
    sublibs: Sequence[str] | None = None,
    libs: Sequence[str] | None = None,
    min: str | None = None,
    max: str | None = None,
    pin: str | None = None,
    pin_version: str = "dev",
) -> Package:
    """Twin of ``Functoria.package``."""
    if not (_VALID.match(name) and re.search("[A-Za-z]", name)):
        raise ConfigError(f'package name "{name}" is invalid')
    # config.ml writes the polymorphic variants `Monorepo / `Switch
    scope = {"Monorepo": "monorepo", "Switch": "switch"}.get(scope, scope)
    if scope not in ("monorepo", "switch"):
        raise ConfigError(f"package scope must be monorepo or switch, not {scope!r}")
    if sublibs is not None and libs is not None:
        raise ConfigError(f"dependent package {name} may either specify ~sublibs or ~ocamlfind")
    if sublibs is not None:
        ls = [name if s == "" else f"{name}.{s}" for s in sublibs]
    elif libs is not None:
        ls = list(libs)
    else:
        ls = [name]
    return Package(
        name,
        scope,
        build,
        frozenset(ls),
        frozenset([min] if min else []),
        frozenset([max] if max else []),
        (f"{name}.{pin_version}", pin) if pin else None,
    )


def merge_all(pkgs: Iterable[Package]) -> dict[str, Package]:
    """Merge packages by name as ``Info`` does: same-name, same-scope merge; else the first stays."""
    out: dict[str, Package] = {}
    for p in pkgs:
        q = out.get(p.name)
        if q is None:
            out[p.name] = p
        else:
            m = p.merge(q)
            if m is not None:
                out[p.name] = m
    return dict(sorted(out.items()))


def union_sets(a: dict[str, Package], b: dict[str, Package]) -> dict[str, Package]:
    """``Package.Set.union``: same names merge; a failed merge (other scope) drops the package."""
    out = dict(a)
    for n, p in b.items():
        if n in out:
            m = out[n].merge(p)
            if m is None:
                del out[n]
            else:
                out[n] = m
        else:
            out[n] = p
    return out
