"""pytest runs with --import-mode=importlib: make this directory's helper module (xen_helpers) importable."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
