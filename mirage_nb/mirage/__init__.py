"""The MirageOS device library, with the names of OCaml's ``open Mirage`` (twin of ``Mirage``).

A config reads like its OCaml twin::

    from mirage_nb.mirage import *

    main = main("Unikernel.Main", stackv4v6 @ job)   # @ stands for @->
    stack = generic_stackv4v6(default_network)
    app = register("network", [main(stack)])         # f(x) stands for f $ x
"""

from mirage_nb.functoria.dsl import (
    Code,
    Impl,
    Package,
    RuntimeArg,
    Typ,
    abstract,
    argv,
    arrow,
    code,
    dep,
    if_impl,
    impl,
    info,
    job,
    key,
    main,
    match_impl,
    noop,
    package,
    runtime_arg,
    typ,
)

from . import _runtime_arg as Runtime_arg
from . import keys as Key
from .jobs import (
    default_argv,
    default_mtime,
    default_ptime,
    default_random,
    default_reporter,
    default_sleep,
    delay,
    mock_mtime,
    mock_ptime,
    mtime,
    no_argv,
    no_mtime,
    no_ptime,
    no_random,
    no_reporter,
    no_sleep,
    ptime,
    random,
    reporter,
    sleep,
)
from .project import register

__all__ = [
    "Code",
    "Impl",
    "Key",
    "Package",
    "RuntimeArg",
    "Runtime_arg",
    "Typ",
    "abstract",
    "argv",
    "arrow",
    "code",
    "default_argv",
    "default_mtime",
    "default_ptime",
    "default_random",
    "default_reporter",
    "default_sleep",
    "delay",
    "dep",
    "if_impl",
    "impl",
    "info",
    "job",
    "key",
    "main",
    "match_impl",
    "mock_mtime",
    "mock_ptime",
    "mtime",
    "no_argv",
    "no_mtime",
    "no_ptime",
    "no_random",
    "no_reporter",
    "no_sleep",
    "noop",
    "package",
    "ptime",
    "random",
    "register",
    "reporter",
    "runtime_arg",
    "sleep",
    "typ",
]
