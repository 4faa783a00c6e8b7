"""The ``faultlab`` command, one module per subcommand; ``__main__`` wires them together.

Every subcommand module has ``register(subparsers)``, and the function it registers takes
the parsed arguments and returns the exit status. A person's mistake raises
``UsageError``: one line on stderr and exit status 2, never a traceback (``--debug``
shows it).
"""

EXIT_OK, EXIT_FAULT, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """The command line asks for something that cannot be done."""
