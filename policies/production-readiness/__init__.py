"""The built-in "production-readiness" pack (data: pack.yaml and one <id>.yaml per policy)."""
