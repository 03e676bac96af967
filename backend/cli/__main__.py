"""``python -m backend.cli``: the same as the ``herald`` command."""

from backend.cli.main import main

main()
