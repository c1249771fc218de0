"""mirage_nb: MirageOS's configuration engine and a simulator of unikernels, for notebooks.

The layers (see DESIGN.md): ``functoria`` (the engine), ``mirage`` (the device
library users write configs against), ``config_ml`` (a reader of real config.ml
files), ``sim`` (the in-kernel simulator) and ``notebook`` (Jupyter presentation).
"""

__version__ = "0.1.0"


def __getattr__(name: str) -> str:
    """``mirage_nb.MIRAGE_VERSION``: the real tool's version, which the Mirage project owns (read lazily)."""
    if name == "MIRAGE_VERSION":
        from mirage_nb.mirage.project import MIRAGE_VERSION

        return MIRAGE_VERSION
    raise AttributeError(f"module 'mirage_nb' has no attribute {name!r}")


def load_ipython_extension(ipython):
    """``%load_ext mirage_nb``: the magics and rich displays of :mod:`mirage_nb.notebook`."""
    import sys

    from mirage_nb.notebook import load_ipython_extension as _load

    if sys.platform == "emscripten":  # in a browser: start loading the WebAssembly graphviz the graphs need
        from mirage_nb.gallery.inbrowser import start_graphviz

        start_graphviz()
    _load(ipython)


def unload_ipython_extension(ipython):
    from mirage_nb.notebook import unload_ipython_extension as _unload

    _unload(ipython)
