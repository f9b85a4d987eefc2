"""``python -m constructs_a2i.cli``: the same as the ``a2i`` command."""

from constructs_a2i.cli.main import main

__all__: list[str] = []

main()
