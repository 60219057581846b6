"""Fixtures of the audit-trail tests (defined in audit_helpers, shared with the test modules)."""

from __future__ import annotations

from audit_helpers import example, tiny

__all__ = ["example", "tiny"]
