def main():
    try:
        import yaml  # noqa: F401
    except ImportError:
        ...
    print(f"report {1 +}")
