"""One module per command group; ``receipts_cli.main`` puts them together."""
