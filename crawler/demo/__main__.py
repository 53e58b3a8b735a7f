"""``python -m crawler.demo --state PATH``: the same as ``python -m crawler.demo.server``."""

from crawler.demo.server import main

raise SystemExit(main())
