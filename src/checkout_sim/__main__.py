"""``python -m checkout_sim`` is ``run-scenario``."""

from ._launch import run_scenario

raise SystemExit(run_scenario())
