"""The append-only, hash-chained audit log."""

from churnguard.audit.log import AuditEntry, VerifyResult, record, verify

__all__ = ["AuditEntry", "VerifyResult", "record", "verify"]
