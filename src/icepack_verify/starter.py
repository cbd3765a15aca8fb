"""`icepack-verify init`: an operator's own environments file, layered over the shipped one.

    icepack-verify init [--env NAME] [PATH]   write a starter (default ./environments.toml)
    icepack-verify init --shipped             print the shipped environments.toml

The starter says `extends = "shipped"`: only what differs from the shipped file goes in it.
For an environment the shipped file has (dev, stage, preprod, prod, local) it passes
`--check-config` once its URLs are filled in; for a new name, once every FILL IN line is.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from icepack_verify import environments

HEADER = '''\
# {name}: icepack-verify's environments, yours.
#
# extends = "shipped" layers this file over the environments.toml icepack-verify ships
# (`icepack-verify init --shipped` prints it): a table here merges into the shipped one key
# by key; a value or an array here replaces the shipped one. `extends` may instead name
# another environments file (a path relative to this one); without `extends`, this file
# has to say everything itself.
#
# Check it (every environment, each error with its line):
#   icepack-verify --environments={name} --check-config [--env NAME]
extends = "shipped"
'''

# Where an environment lives: what the shipped values cannot know about yours.
WHERE = ("account_id", "hostname", "kube_context", "database_url_env", "terraform_root", "values_file", "known_tables")


def starter(path: Path, name: str | None) -> str:
    text = HEADER.format(name=path)
    if name is None:
        return text + ("\n# Add a table per environment, e.g.\n# [environments.stage]\n"
                       '# api_url = "https://icepack-api.stage.internal.example.org"\n')
    shipped = environments.read_layered(environments.shipped_path()).raw.get("environments", {}).get(name)
    lines = ["", f"[environments.{name}]",
             'api_url = ""  # FILL IN: the Icepack API, https://...',
             '# ui_url = ""  # the UI, https://... (not checked while unset)']
    if shipped is not None:
        lines.append(f"# From the shipped [environments.{name}]: example values; set each one that differs for yours.")
        lines += [f"# {key} = {_toml(shipped[key])}" for key in WHERE if key in shipped]
    else:
        lines.append(f"# {name} is not in the shipped file: [defaults] applies, and these are yours to fill in.")
        lines += [f"{key} = {'[]' if key == 'known_tables' else chr(34) * 2}  # FILL IN" for key in WHERE]
    return text + "\n".join(lines) + "\n"


def _toml(value) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(map(_toml, value)) + "]"
    return f'"{value}"' if isinstance(value, str) else str(value).lower()


def init(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="icepack-verify init", description=__doc__.split("\n\n")[0])
    parser.add_argument("path", nargs="?", default="environments.toml", type=Path)
    parser.add_argument("--env", help="an environment to start with (a shipped name, or a new one)")
    parser.add_argument("--shipped", action="store_true", help="print the shipped environments.toml and stop")
    parser.add_argument("--force", action="store_true", help="overwrite PATH")
    args = parser.parse_args(argv)
    if args.shipped:
        sys.stdout.write(environments.read_text(environments.shipped_path()))
        return 0
    if args.path.exists() and not args.force:
        print(f"icepack-verify init: {args.path} exists; pass --force to overwrite it", file=sys.stderr)
        return 4
    args.path.write_text(starter(args.path, args.env), encoding="utf-8")
    todo = "fill in the lines marked FILL IN, then run" if args.env else "add your environments, then run"
    print(f"wrote {args.path}: {todo}\n  icepack-verify --environments={args.path} --check-config"
          + (f" --env {args.env}" if args.env else ""))
    return 0
