import sys


def main():
    for line in sys.stdin:
        print("seeding", line.strip())
    print("done", file=sys.stderr)


if __name__ == "__main__":
    main()
