"""The bundle's entry script: the same ``main`` as the ``convdesigner`` command of a pip install."""

import sys

from convdesigner.cli import main

if __name__ == "__main__":
    sys.exit(main())
