"""``python -m litequeue._child_entry FD``: the main program of a handler's child
process (see ``_child``). A module of its own, which the package never imports, so
running it does not re-run a module already loaded."""

import multiprocessing.connection
import sys

from ._child import child_main

child_main(multiprocessing.connection.Connection(int(sys.argv[1])))
