"""``python -m gstheory`` is the ``gstheory`` command."""

import sys

from gstheory.cli import main

if __name__ == "__main__":
    sys.exit(main())
