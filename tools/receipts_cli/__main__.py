"""``python -m receipts_cli``: the same as the ``receipts`` console script."""

from receipts_cli.main import main

main()
