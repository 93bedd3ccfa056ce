"""``python -m logsieve`` is the same as the ``logsieve`` command."""

from logsieve.cli import main

main()
