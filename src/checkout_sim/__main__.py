"""``python -m checkout_sim`` is ``run-scenario``."""

from .cli import main

raise SystemExit(main())
