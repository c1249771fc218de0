"""mirage_nb: MirageOS's configuration engine and a simulator of unikernels, for notebooks.

The layers (see DESIGN.md): ``functoria`` (the engine), ``mirage`` (the device
library users write configs against), ``config_ml`` (a reader of real config.ml
files), ``sim`` (the in-kernel simulator) and ``notebook`` (Jupyter presentation).
"""

__version__ = "0.1.0"
MIRAGE_VERSION = "4.11.1"
