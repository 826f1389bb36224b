"""What every command shares on its command line: the exit codes, a parser whose usage
errors take one line, the argument types, and the ``--db`` option's help.
"""

from __future__ import annotations

import argparse
from typing import NoReturn, TypeAlias

# Exit codes: 0 done; 1 a runtime error (a database that cannot be opened, a port that
# cannot be bound, a bad file, standard output closed early); 2 a usage error (argparse:
# an unknown option, a number out of range); 130 interrupted.
EXIT_ERROR = 1
EXIT_USAGE = 2


DB_HELP = (
    "database URL (default: TAGWIRE_DATABASE_URL, else sqlite:///tagwire.db in the "
    "working directory); postgresql://... selects PostgreSQL"
)


def one_line(text: str) -> str:
    return "; ".join(line.strip() for line in text.splitlines() if line.strip())


class Parser(argparse.ArgumentParser):
    """argparse with a usage error on one line (the message and where help is), exit 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see `{self.prog} --help`)\n")


# What each group of commands adds its parsers to: the top parser's ``add_subparsers()``.
Commands: TypeAlias = "argparse._SubParsersAction[Parser]"


def _integer(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None


def positive(text: str) -> int:
    """An argparse type: a whole number of 1 or more (a limit, an id)."""
    value = _integer(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {value}")
    return value


def not_negative(text: str) -> int:
    """An argparse type: 0 or more (a count where 0 means "the default" or "none")."""
    value = _integer(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, not {value}")
    return value


def tcp_port(text: str) -> int:
    """An argparse type: a TCP port, 1 to 65535."""
    value = _integer(text)
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"a port is 1 to 65535, not {value}")
    return value
