"""Policy packs as versioned, signed artifacts: the archive format and its manifest, Ed25519 signatures,
the sources a pack is read from (builtin, folder, archive, ``oci://``, ``git+URL#REF:PATH``, ``https://``),
the content-addressed cache, the lock file that pins each source by digest, and ``pack diff``.
The only ``oras`` importer (oci.py)."""
