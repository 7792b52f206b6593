"""``python -m proofs [NAMES...] [--out DIR] [--check] [--list]``: same as ``gstheory derive``."""

from __future__ import annotations

import sys

from gstheory.cli import main

if __name__ == "__main__":
    sys.exit(main(["derive", *sys.argv[1:]]))
