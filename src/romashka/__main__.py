"""`python -m romashka` is the `romashka` command."""

from romashka.cli import main

main()
