"""``python -m litequeue``: the command line (see ``litequeue.cli``)."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
