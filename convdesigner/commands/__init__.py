"""One module per command-line command, each with ``add_parser(parser)`` and ``run(options) -> int``."""
