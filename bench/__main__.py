"""``make bench``: runs every benchmark in ``bench/`` and writes ``bench/results/latest.md``."""

from __future__ import annotations

import sys


def main() -> int:
    print("No benchmarks are implemented yet.", file=sys.stderr)
    return 1


if __name__ == "__main__":
    raise SystemExit(main())
