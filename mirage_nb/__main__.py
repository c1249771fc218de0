"""``python -m mirage_nb``: the same as the ``mirage-nb`` command."""

import sys

from mirage_nb.cli import main

sys.exit(main())
