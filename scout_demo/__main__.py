"""``python -m scout_demo --state PATH``: the same as ``python -m scout_demo.server``."""

from scout_demo.server import main

raise SystemExit(main())
