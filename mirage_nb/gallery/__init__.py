"""The unikernel gallery: a static web site of unikernels, built from the engine and the simulator.

``mirage-nb gallery build OUT`` (:func:`mirage_nb.gallery.site.build`) writes
one page per unikernel (sources, ``describe`` and ``configure`` per target,
the graph drawn by graphviz, a simulated run, the LAN capture) and an index
filterable by device, concept and target. The layer sits above ``sim`` and
below ``notebook``: it never imports Jupyter.
"""
