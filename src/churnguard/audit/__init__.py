"""The append-only, hash-chained audit log with signed checkpoints."""

from churnguard.audit.checkpoint import sign_head
from churnguard.audit.export import export_lines
from churnguard.audit.log import AuditEntry, VerifyResult, record, verify

__all__ = ["AuditEntry", "VerifyResult", "export_lines", "record", "sign_head", "verify"]
