"""Module types: the ``typ`` leaves and the ``@->`` functor arrow of functoria.

Twin of functoria's ``Type``. Leaves are distinct by identity (two ``typ``
calls make two types even with one name); arrows compare structurally.
"""

from __future__ import annotations

__all__ = ["Typ", "FunctorTyp", "typ", "arrow", "job", "argv", "info"]


class Typ:
    """A module type. ``a @ b`` is OCaml's ``a @-> b``, grouped to the right.

    Python's ``@`` groups to the left, so ``a @ b @ c`` arrives as
    ``(a @ b) @ c``; appending ``c`` to the end of the arrow chain gives
    OCaml's ``a @-> (b @-> c)``. A functor that takes a functor as argument
    is written with :func:`arrow`.
    """

    __slots__ = ("name",)
    is_functor = False

    def __init__(self, name: object) -> None:
        # OCaml's ``typ`` takes any witness value (``typ Hash``); its name is how it prints.
        self.name = name if isinstance(name, str) else str(name)

    def __matmul__(self, other: Typ) -> FunctorTyp:
        if not isinstance(other, Typ):
            return NotImplemented
        return FunctorTyp(self, other)

    def same(self, other: Typ) -> bool:
        """Type equality as OCaml sees it: leaves by identity, arrows by structure."""
        return self is other

    def result(self) -> Typ:
        """The type at the end of the arrow chain (``job`` for a main)."""
        return self

    def params(self) -> list[Typ]:
        """The functor's parameter types, in ``@->`` order."""
        return []

    def __repr__(self) -> str:
        return self.name


class FunctorTyp(Typ):
    """``arg @-> result``: the type of a functor."""

    __slots__ = ("arg", "res")
    is_functor = True

    def __init__(self, arg: Typ, res: Typ) -> None:
        super().__init__(f"{arg!r} -> {res!r}")
        self.arg = arg
        self.res = res

    def __matmul__(self, other: Typ) -> FunctorTyp:
        if not isinstance(other, Typ):
            return NotImplemented
        return FunctorTyp(self.arg, self.res @ other)

    def same(self, other: Typ) -> bool:
        return isinstance(other, FunctorTyp) and self.arg.same(other.arg) and self.res.same(other.res)

    def result(self) -> Typ:
        return self.res.result()

    def params(self) -> list[Typ]:
        return [self.arg, *self.res.params()]

    def __repr__(self) -> str:
        a = f"({self.arg!r})" if self.arg.is_functor else repr(self.arg)
        return f"{a} -> {self.res!r}"


def typ(name: object) -> Typ:
    """A new abstract module type (twin of ``Functoria.typ``)."""
    return Typ(name)


def arrow(arg: Typ, res: Typ) -> FunctorTyp:
    """``arg @-> res`` exactly, without the right-grouping of ``@``."""
    return FunctorTyp(arg, res)


job = Typ("job")
argv = Typ("argv")
info = Typ("info")
