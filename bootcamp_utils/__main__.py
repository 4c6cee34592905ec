"""``python -m bootcamp_utils COMMAND``: info, convert, deidentify (:mod:`bootcamp_utils.cli`)."""

from .cli import main

if __name__ == "__main__":
    raise SystemExit(main(prog="python -m bootcamp_utils"))
