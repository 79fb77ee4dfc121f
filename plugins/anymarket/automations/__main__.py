"""``python -m anymarket.automations readme [--write]``: the README's automations section.

Prints the markdown generated from the automations' declarations (what goes between
``<!-- automations:begin -->`` and ``<!-- automations:end -->`` in README.md); ``--write`` puts it
there instead.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from anymarket.automations import _docs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m anymarket.automations", description=__doc__.splitlines()[0]
    )
    commands = parser.add_subparsers(dest="command", required=True)
    readme = commands.add_parser("readme", help="print the README's automations section (markdown)")
    readme.add_argument("--write", action="store_true", help="rewrite that section of README.md in place")
    readme.add_argument("--file", type=Path, default=_docs.README, help="the README (default: the repo's)")
    args = parser.parse_args(argv)

    section = _docs.readme_section(_docs.all_automations())
    if not args.write:
        sys.stdout.write(section)
        return 0
    text = args.file.read_text(encoding="utf-8")
    updated = _docs.replace_section(text, section)
    if updated != text:
        args.file.write_text(updated, encoding="utf-8")
        print(f"{args.file}: automations section rewritten")
    else:
        print(f"{args.file}: automations section already up to date")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
