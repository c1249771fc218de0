"""The console page of ``io/console.h``: what a domain prints, for xenconsoled to read.

``struct xencons_interface`` is a 1024-byte ``in`` ring (keyboard input, to
the domain) at offset 0, a 2048-byte ``out`` ring (output, from the domain)
at 1024, then four 32-bit indexes: ``in_cons`` (3072), ``in_prod`` (3076),
``out_cons`` (3080), ``out_prod`` (3084). The domain produces into ``out``
and notifies its console event channel; xenconsoled consumes and notifies
back, so the domain can write what did not fit.
"""

from __future__ import annotations

from mirage_nb.sim.xen.xs_wire import ByteRing

__all__ = ["IN_SIZE", "OUT_SIZE", "console_rings"]

IN_SIZE = 1024
OUT_SIZE = 2048


def console_rings(page: bytearray) -> tuple[ByteRing, ByteRing]:
    """The ``in`` and ``out`` rings of a console page (each a byte stream with its cons/prod indexes)."""
    rin = ByteRing(page, 0, IN_SIZE, 3072, 3076)
    rout = ByteRing(page, IN_SIZE, OUT_SIZE, 3080, 3084)
    return rin, rout
