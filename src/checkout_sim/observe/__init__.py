"""What a run records: the event log (every event defined in :mod:`.events`), the tally, the summary."""

from . import events
from .eventlog import EventLog, EventLogError, JSONLine, flush_log
from .summary import (
    PERCENTILE_RELATIVE_ERROR,
    SegmentSummary,
    Summary,
    figure_range,
    figures,
    pooled_quantile,
)

__all__ = [
    "PERCENTILE_RELATIVE_ERROR",
    "EventLog",
    "EventLogError",
    "JSONLine",
    "SegmentSummary",
    "Summary",
    "events",
    "figure_range",
    "figures",
    "flush_log",
    "pooled_quantile",
]
