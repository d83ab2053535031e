"""Importers: tabular files through a column mapping, and Stripe event exports."""

from churnguard.ingest.mapping import Mapping, load_mapping
from churnguard.ingest.report import ImportFileError, ImportReport
from churnguard.ingest.stripe import NormalizedStripe, StripePayloadError, import_stripe, normalize_stripe_event
from churnguard.ingest.tabular import import_accounts, import_contacts, import_events

__all__ = [
    "ImportFileError",
    "ImportReport",
    "Mapping",
    "NormalizedStripe",
    "StripePayloadError",
    "import_accounts",
    "import_contacts",
    "import_events",
    "import_stripe",
    "load_mapping",
    "normalize_stripe_event",
]
