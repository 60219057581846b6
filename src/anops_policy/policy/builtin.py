"""The built-in packs: each name and the package that holds its files (importing this loads nothing else)."""

from __future__ import annotations

DEFAULT_PACK = "production-readiness"
BUILTIN_PACKS = {
    "production-readiness": "anops_policy.policies.production_readiness",
    "deployment-readiness": "anops_policy.policies.deployment_readiness",
}
