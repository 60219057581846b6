"""anops-policy: production-readiness checklists as code, evaluated with CEL and explained."""

from __future__ import annotations

__version__ = "0.1.0"
