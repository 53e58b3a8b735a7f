"""``python -m scout_demo --state PATH``: serve the demo network (see :mod:`scout_demo.httpd`)."""

from scout_demo.httpd import main

raise SystemExit(main())
