from svc.app import forward

if __name__ == "__main__":
    print(forward({"kind": "deploy"}))  # TODO(cy, RELAY-90): proper CLI
