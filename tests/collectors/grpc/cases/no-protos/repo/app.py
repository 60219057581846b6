"""A service without gRPC: only its image matters here."""

def handler(event):
    return {"ok": True, "event": event}
