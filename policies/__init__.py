"""The built-in policy packs, one folder per pack (data, no code)."""
