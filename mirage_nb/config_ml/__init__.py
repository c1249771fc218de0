"""Reads a real OCaml config.ml into the mirage_nb DSL, with a pure-Python parser and evaluator.

Twin of what ``mirage`` does with config.ml (compile it with the Mirage
library and run it), without OCaml: the file is parsed into an AST and the
subset of OCaml configs use is evaluated against :mod:`mirage_nb.mirage`.
It never runs OCaml, never runs Python from the file, never opens other files.

Public API:

* :func:`load` ``(path) -> Application`` and :func:`loads` ``(text, filename) -> Application``:
  the application the config's last ``register`` built.
* :func:`evaluate`: the same, returning an :class:`Evaluation` (all registered
  applications, the top-level names, the program).
* :func:`parse` ``(text, filename) -> Program`` and :func:`print_program`: the AST and its printer.
* :func:`check_version` ``(text) -> str | None``: the first-line version comment check,
  with the real tool's message (the CLI prints it and exits 1).

How OCaml meets Python (the convention :mod:`mirage_nb.mirage` follows):

* ``open Mirage`` makes the names in ``mirage_nb.mirage.__all__`` visible; an
  OCaml name is the Python attribute of the same name, or with a trailing
  ``_`` (``type`` -> ``type_``); module names (``Key``, ``Runtime_arg``) are
  attributes too, and any Python object serves as a module.
* Operators come from a module through ``op_<names>`` attributes
  (``$`` -> ``op_dollar``, ``@->`` -> ``op_at_minus_greater``, see
  :func:`~mirage_nb.config_ml._values.op_attribute_names`) or an attribute
  literally named ``"( $ )"``; ``Key.(f $ x)`` uses ``Key.op_dollar``.
  Without one, ``f $ x`` applies ``f`` to ``x`` (``f(x)``) and ``a @-> b`` is ``a @ b``.
* Positional parameters are Python positional parameters in order; labelled
  ``~l`` and optional ``?l`` parameters are keyword parameters named ``l``.
  An optional argument not given is not passed; ``?l:(Some x)`` passes ``x``.
  A Python function is called once its required positional parameters are
  filled by at least one positional argument; a ``()`` argument beyond them
  just triggers the call (``Key.kv_ro ~group:"data" ()`` -> ``kv_ro(group="data")``).
  Fewer arguments give a partial application, as in OCaml.
* Values: ``()`` is ``None``, lists are ``list``, tuples ``tuple``,
  ``None``/``Some x`` reach Python as ``None``/``x``, polymorphic variants as
  their tag (`` `None `` -> ``"None"``) or a tuple (`` `Some u `` -> ``("Some", u)``),
  other constructors as :class:`Constr`, OCaml functions as Python callables.
* ``register`` returns the application in Python and ``()`` to the config; the
  reader keeps the applications, in order.
* ``Sys.getenv_opt`` always returns ``None``: the reader never reads the environment.

Where the reader departs from compiling config.ml with OCaml, on purpose:

* Names are checked before each top-level item runs (``Unbound value x``
  even in a function never called, as OCaml reports), but types are not:
  a type error shows up when the DSL refuses a value, at the call's location.
* ``$`` and ``@->`` exist without ``open Mirage`` (functoria's application and
  functor arrow); a module that defines them shadows them when opened.
* Not supported, each with a clear error: records and arrays as values,
  exceptions (``try``, ``raise``), references, loops, objects, functors,
  ``let module``, binding operators, extension nodes. ``let rec``,
  ``module M = struct ... end``, record *types* and *patterns* in code that
  never runs are accepted.
* Limits instead of OCaml's resources: 1,000,000 characters of input, 120
  levels of syntactic nesting, 150 levels of evaluation nesting, 200,000
  evaluation steps (big strings/lists and long scope walks are charged by
  size), values of at most 1,000,000 elements; beyond them a ``LimitError``.
* Evaluation order is OCaml's native one (arguments right to left, then the
  function); ``__POS__`` columns are in bytes, as OCaml counts them.
"""

from ._ast import Program
from ._errors import (
    ApplicationError,
    ConfigMlFailure,
    ConfigMlSyntaxError,
    ConfigMlTypeError,
    LimitError,
    MatchFailure,
    NoRegisterError,
    UnboundError,
    UnsupportedSyntaxError,
    VersionMismatchError,
)
from ._parser import parse, parse_expression
from ._printer import print_expr, print_program
from ._reader import Evaluation, evaluate, load, loads
from ._values import Constr, PolyVariant, op_attribute_names
from ._version import check_version, version_check, version_error

__all__ = [
    "load",
    "loads",
    "evaluate",
    "Evaluation",
    "parse",
    "parse_expression",
    "print_program",
    "print_expr",
    "Program",
    "check_version",
    "version_check",
    "version_error",
    "Constr",
    "PolyVariant",
    "op_attribute_names",
    "ConfigMlSyntaxError",
    "ConfigMlTypeError",
    "UnsupportedSyntaxError",
    "UnboundError",
    "ApplicationError",
    "MatchFailure",
    "ConfigMlFailure",
    "LimitError",
    "NoRegisterError",
    "VersionMismatchError",
]
