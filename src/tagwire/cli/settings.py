"""``tagwire config``: every setting, its value and where it came from."""

from __future__ import annotations

import argparse

from tagwire import config
from tagwire.cli.arguments import Commands


def add_config(sub: Commands) -> None:
    cfg = sub.add_parser(
        "config",
        help="print the effective settings",
        description="Print every setting, its value and where it came from "
        "(env, file named by TAGWIRE_CONFIG, or default).",
    )
    cfg.set_defaults(handler=_config)


def _config(args: argparse.Namespace, settings: config.Config) -> int:
    for setting in config.SETTINGS:
        value = settings[setting.name]
        if setting.name == "TAGWIRE_ADMIN_TOKEN" and value:
            value = "(set)"
        shown = ",".join(value) if isinstance(value, tuple) else value
        print(
            f"{setting.name}={shown if shown is not None else ''}"
            f"    # {settings.origins[setting.name]}: {setting.help}"
        )
    return 0
