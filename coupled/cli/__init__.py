"""Command line: one module per subcommand (``register(subparsers)``), the parser in ``main``.

Commands only parse options and call the library; they write nothing the library does not.
"""
