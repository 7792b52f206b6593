"""``python -m gstheory`` is the ``gstheory`` command."""

import sys

from gstheory.cli import main

sys.exit(main())
