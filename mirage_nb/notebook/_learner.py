"""The learner view of a device graph (the devices every unikernel gets, folded into one node), for the displays.

The computation lives below the notebook layer, in
:mod:`mirage_nb.mirage.learner_view`, so that the gallery draws the same
learner view; this module keeps the notebook's names for it.
"""

from __future__ import annotations

from mirage_nb.mirage.learner_view import FOLD_CLASS, Fold, fold_of_app, fold_of_impl

__all__ = ["FOLD_CLASS", "Fold", "fold_of_app", "fold_of_impl"]
