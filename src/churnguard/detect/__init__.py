"""Detection: the event store, play triggers as portable SQL, and the scan that runs them."""

from churnguard.detect.eventstore import (
    DuckDBEventStore,
    EventRecord,
    EventStore,
    SqlEventStore,
    open_event_store,
)
from churnguard.detect.scan import scan

__all__ = ["DuckDBEventStore", "EventRecord", "EventStore", "SqlEventStore", "open_event_store", "scan"]
