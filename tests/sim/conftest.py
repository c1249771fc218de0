"""pytest runs with --import-mode=importlib: make this directory's helper module (sim_graphs) importable."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
