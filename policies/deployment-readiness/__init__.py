"""The built-in "deployment-readiness" pack (data: pack.yaml and one <id>.yaml per policy)."""
