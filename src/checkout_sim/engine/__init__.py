"""Running a scenario: asyncio producers and consumers on a virtual or a paced wall clock."""

from .clock import RealtimeLoop, SimulationStalled, VirtualClockLoop, loop_factory
from .door import Overloaded
from .shop import Interrupted, Shop

__all__ = [
    "Interrupted",
    "Overloaded",
    "RealtimeLoop",
    "Shop",
    "SimulationStalled",
    "VirtualClockLoop",
    "loop_factory",
]
