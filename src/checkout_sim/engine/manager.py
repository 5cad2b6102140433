"""The manager: opens an extra till each time someone joins a line that has grown too long.

With a line at each till, it is the shortest line of the group that must have grown:
a shopper who sees a short line somewhere does not call for a new till.

Reactive scaling, one manager task per group that has a ``scaling`` rule; an extra till
closes itself when it finishes a customer and few are waiting (see :mod:`.till`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .lanes import LaneGroup

__all__ = ["manage"]


async def manage(group: LaneGroup) -> None:
    """Each time someone joins a line of ``open_at`` or more, open a till (up to ``most``)."""
    scaling, grew = group.plan.scaling, group.grew
    assert scaling is not None and grew is not None
    while True:
        await grew.wait()
        grew.clear()
        # (a till still serving before it closes, or on a break, keeps its number: none may be free)
        if (
            group.shortest_waiting() >= scaling.open_at
            and len(group.tills) < scaling.most
            and group.can_open()
        ):
            group.open_till(extra=True)
