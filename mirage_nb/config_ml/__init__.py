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
  ``Sys.getcwd ()`` is the working directory, as when the real tool runs the
  configuration program (it runs where ``mirage`` was started).

The standard environment (every module a config may reach, with OCaml's semantics):

* ``Mirage`` (all of ``mirage.mli`` 4.11.1 but ``Project``/``Tool``, which drive
  the tool itself), ``Functoria`` (its DSL), ``Mirage.Key`` (``create``,
  ``Arg.{opt,required,flag,opt_all,info}``, ``value``, ``pure``, ``map``,
  ``if_``, ``match_``, ``( $ )``, ``v``, ``name``, ``equal``, ``get``, ``find``,
  ``mem``, ``peek``, ``eval``, ``default``, ``add_to_context``),
  ``Mirage.Runtime_arg``, ``Mirage.Info`` (``context``, ``name``, ``main``,
  ``output``, ``config_file``, ``keys``, ``runtime_args``, ``packages``,
  ``package_names``, ``libraries``: what a ``~connect`` function may ask).
* ``Cmdliner``: ``Arg`` converters (``string``, ``int``, ``bool``, ``float``,
  ``char``, ``int32``, ``int64``, ``nativeint``, ``file``, ``dir``,
  ``non_dir_file``, ``some``, ``list``, ``pair``, ``enum``, ``conv``, ``conv'``,
  ``conv_parser``, ``conv_printer``, ``conv_docv``), ``Arg.info``, the terms
  ``Arg.{opt,opt_all,flag,flag_all,required,pos,value,( & )}``,
  ``Term.{const,( $ )}``, ``Cmd.Env.info``. A converter built with
  ``Arg.conv (parse, print)`` runs its OCaml parser and printer whenever the
  tool parses or shows the key (``describe``, ``--help``, errors).
* ``Logs``: the levels ``App``, ``Error``, ``Warning``, ``Info``, ``Debug``,
  ``level_to_string``, ``level_of_string``.
* ``Printf`` (``sprintf``, ``printf``, ``eprintf``), ``Format`` (``asprintf``,
  ``sprintf``, ``fprintf``, ``pp_print_string``, ``pp_print_int``) and
  ``Fmt`` (``str``, ``pf``, ``pr``, ``failwith``, ``string``, ``int``,
  ``bool``, ``float``, ``char``, ``text``, ``nop``, ``cut``, ``sp``, ``list``,
  ``using``, ``const``, ``any``, ``option``, ``pair``, ``quote``,
  ``to_to_string``): format strings follow OCaml's rules (``%d %i %u %x %X %o
  %s %S %c %C %b %B %f %F %e %g %a %t %ld %Ld %nd %%``, flags, widths,
  precisions, ``*``, boxes and breaks for Format/Fmt); a format whose
  arguments do not match is an error at the call.
* ``String``, ``List``, ``Option``, ``Int``, ``Bool``, ``Fun``, ``Sys``
  (``getenv``, ``getenv_opt``, ``getcwd``, ``os_type``, ``unix``, ``win32``,
  ``cygwin``, ``word_size``, ``int_size``, ``max_string_length``),
  ``Ipaddr`` (``V4``/``V6``: ``of_string_exn``, ``to_string``,
  ``Prefix.of_string_exn``), ``Macaddr`` (``of_string_exn``), and the Stdlib
  operators and functions listed in :mod:`._stdlib`.

Types. The reader has no type inference, but OCaml's type errors are errors:
each argument handed to the device library is checked against the type of
the parameter it fills (``package ~min:1 "x"``: *This expression has type
int but an expression was expected of type string*, at the argument), a
default value must have its converter's type, a partial application or a
function given where a device is expected is refused, and names are checked
before each top-level item runs (``Unbound value x`` even in a function never
called, as OCaml reports). Every such error exits 1 with ``file:line:column``,
as the real tool does when compiling config.ml fails.

Not supported (each gets an ``UnsupportedSyntaxError`` or ``UnboundError``
naming the construct at ``file:line:column``): records and arrays as values,
exceptions (``try``, ``raise``), references (``ref``, ``!``, ``:=``), loops,
objects, functors, ``let module``, binding operators (``let*``), extension
nodes, first-class modules, files and processes (``open_in``, ``Unix``, ``Sys.command``), ``exit``. No real config of
the recorded references (``mirage-4.11.1/``, ``wild-4.11.1/``) uses any of
them; the ones those configs fail on (``foreign``, ``pclock``, a version
comment excluding 4.11.1) fail in the real tool too, with the same exit code.
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
