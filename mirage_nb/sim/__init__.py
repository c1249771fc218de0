"""The in-kernel simulator: a virtual clock, Lwt-style promises and MirageOS's runtime, device by device.

See DESIGN.md for what this layer holds. The pieces:

- ``run``: :class:`~mirage_nb.sim.run.Run` (clock, timer heap, seeded RNG,
  console, logs, timeline) and its :class:`~mirage_nb.sim.run.RunResult`.
- ``lwt``: promises and the Lwt combinators (``join``, ``both``, ``pick``,
  ``choose``, ``cancel``, ``state``, ``wait``/``wakeup``...).
- ``clocks``, ``rng``, ``logs``, ``runtime``, ``cmdliner``, ``fmt``: the
  MirageOS 4.9+ globals (``Mirage_sleep``, ``Mirage_ptime``, ``Mirage_mtime``,
  ``Mirage_crypto_rng``, ``Logs`` with the mirage-logs format,
  ``Mirage_runtime`` with Cmdliner-parsed boot arguments) and OCaml's
  ``Printf``/``Format``/``Fmt``: facades over the engine's port of Format
  (:mod:`mirage_nb.functoria.fmt`), streaming onto the run's stdout/stderr.
- ``block``, ``kv``, ``chamelon``: storage devices with MirageOS's APIs and
  error values.
- ``boot``: the interface with the engine (:class:`~mirage_nb.sim.boot.DeviceNode`
  lists in connect order) and :func:`~mirage_nb.sim.boot.boot`.
- ``cli``: from the engine's evaluated graph to a run: ``mirage-nb run`` and
  ``Application.run`` (storage devices say what they are through ``Device.sim``).
- ``network``: several unikernels (each evaluated from its config) and
  scripted peers on virtual LANs, in one run.

Unikernel code imports its names from :mod:`mirage_nb.unikernel`.

Deliberate deviations from MirageOS (each also noted where it is implemented):

1. Randomness comes from ``random.Random(seed)``, not Fortuna: the same seed
   gives the same run, but not the bytes a real unikernel would draw.
   ``Randomconv`` uses the real algorithm over those bytes.
2. The wall clock starts at a fixed virtual epoch (2025-01-01T00:00:00Z,
   ``Run(epoch_s=...)``) and the timezone offset is 0 (``Run(tz_offset_s=None)``
   gives Solo5's unknown offset, printed ``-00:00``).
3. Device I/O (block, kv) takes no virtual time.
4. Boot-argument errors and ``--help`` are Cmdliner 2's texts and layout
   (the man page goes through the engine's port of Cmdliner's renderer),
   always unstyled, as with ``NO_COLOR`` or ``TERM=dumb``; exit codes are
   MirageOS's (63 help, 64 argument error).
5. An uncaught exception prints ``Fatal error: exception ...`` and exits
   with 2, as an OCaml unix executable does. ``Mirage_runtime.at_exit``
   hooks run after the job returns or calls ``exit``.
6. stdout and stderr are line-ordered as they are written (no stdio
   buffering); Format's std_formatter keeps its own buffer until flushed, as
   in OCaml.
7. ``chamelon`` is a littlefs-*like* store with its own documented on-disk
   layout (superblock pair, copy-on-write chains), not littlefs's format: it
   cannot read the skeleton's ``clear_littlefs`` image. Format an image with
   ``python -m mirage_nb.sim.chamelon format littlefs 512`` (the skeleton's
   ``chamelon format`` step).
8. OCaml strings are bytes: kv values are ``str`` with one character per
   byte (latin-1). Values of crunch's ``last_modified`` are the epoch.
9. ``Build_info``'s library list is given to the boot, there being no build.
"""
