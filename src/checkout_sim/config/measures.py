"""How a run is judged over the day: the service-level target and the reporting intervals.

Kept apart from the shop's shape (``scenario``): these keys change what a run reports,
never what happens in it, so a scenario with or without them simulates the same
customers and the same tills.
"""

from __future__ import annotations

from .base import Model
from .units import Duration

__all__ = ["ServiceLevel"]


class ServiceLevel(Model):
    """``service_level: {target: 2m}``: the share of arriving customers who reach a till within ``target``.

    ``0s`` means served without waiting at all. Customers who balk, renege or are sent
    home unserved count as misses (contact centres have other conventions too, such as
    leaving out those who hang up within a few seconds; a shop's lost customer is lost).
    """

    target: Duration
