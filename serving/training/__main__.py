"""`python -m serving.training [train|evaluate] [flags]`: see `--help`."""

from __future__ import annotations

import json
import sys

from serving.training.config import parse_args
from serving.training.errors import TrainingError
from serving.training.pipeline import run


def main(argv: list[str]) -> int:
    """Run one command; a TrainingError becomes a one-line message and exit status 1."""
    config = parse_args(argv)
    try:
        result = run(config)
    except TrainingError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(json.dumps(result, indent=2, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
