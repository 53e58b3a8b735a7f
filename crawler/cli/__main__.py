"""``python -m crawler.cli`` runs ``scout``."""

from crawler.cli import main

main()
