"""The command line's failures, through the real ``tagwire`` console script: each one line
on standard error (never a traceback) and a non-zero exit, 2 for a usage error (argparse),
1 for a runtime error (a database that cannot be opened, a port that cannot be bound, a
file that cannot be read); a closed standard output ends the command quietly with 1."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tagwire.store import Store
from tagwire.types import Source

TAGWIRE = str(Path(sys.executable).with_name("tagwire"))
# More than a pipe holds (64 KiB on Linux) plus Python's output buffer (8 KiB), several
# times over: the command is still writing when the reader closes, whatever the timing.
SOURCES = 2000
# The commands' own settings only: none of the caller's TAGWIRE_* variables.
ENV = {k: v for k, v in os.environ.items() if not k.startswith("TAGWIRE_")}


def run(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [TAGWIRE, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=ENV,
        stdin=subprocess.DEVNULL,
    )


def one_line_error(done: subprocess.CompletedProcess[str], code: int, *words: str) -> str:
    """The failure's only line of standard error, checked: no traceback, the exit code."""
    assert done.returncode == code, (done.returncode, done.stdout, done.stderr)
    assert "Traceback" not in done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


# -- a database that cannot be opened, for every command that opens one --------------------

# Every command that opens a database, with the arguments it needs besides --db.
DB_COMMANDS = [
    ["tags"],
    ["sources"],
    ["sources", "export"],
    ["sources", "import", "{sources}"],
    ["sources", "pause", "1"],
    ["sources", "add", "https://example.org/"],
    ["ingest", "--sources", "{sources}", "--no-progress"],
    ["curate", "{curation}"],
    ["import", "{archive}", "--workers", "0"],
    ["export"],
    ["db", "migrate"],
    ["serve", "--no-poll", "--port", "{port}"],
    ["worker"],
    ["scheduler", "--sources", "{sources}"],
]


@pytest.fixture
def files(tmp_path: Path) -> dict[str, str]:
    sources = tmp_path / "sources.toml"
    sources.write_text('[[sources]]\nname = "A"\nurl = "https://a.example/"\nfeeds = []\n')
    curation = tmp_path / "curation.toml"
    curation.write_text('[[block]]\ntags = ["Nobody"]\n')
    archive = tmp_path / "archive.jsonl"
    archive.write_text("")
    with socket.socket() as probe:  # a port free a moment ago: serve must get to the db
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return {
        "sources": str(sources),
        "curation": str(curation),
        "archive": str(archive),
        "port": str(port),
    }


def _command(template: list[str], files: dict[str, str]) -> list[str]:
    return [part.format(**files) for part in template]


@pytest.mark.parametrize("command", DB_COMMANDS, ids=" ".join)
def test_a_sqlite_file_in_a_missing_directory(
    command: list[str], files: dict[str, str], tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path}/no/such/folder/t.db"
    done = run(*_command(command, files), "--db", url)
    one_line_error(done, 1, "cannot open the database", url, "no directory")
    assert "serving" not in done.stdout


@pytest.mark.parametrize(
    "url, words",
    [
        ("mysql://db.example/news", ["unsupported database URL", "sqlite:///"]),
        ("not a url", ["Could not parse"]),
        ("postgresql://news:secret@127.0.0.1:notaport/news", ["not a valid URL"]),
    ],
)
def test_a_bad_database_url(url: str, words: list[str]) -> None:
    line = one_line_error(run("tags", "--db", url), 1, "cannot open the database", *words)
    assert "secret" not in line or "notaport" in line  # unparsed: shown as given


def test_a_bad_database_url_from_the_environment(tmp_path: Path) -> None:
    done = subprocess.run(
        [TAGWIRE, "sources"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**ENV, "TAGWIRE_DATABASE_URL": "ftp://x.example/db"},
    )
    one_line_error(done, 1, "unsupported database URL")


def test_a_directory_is_not_a_database(tmp_path: Path) -> None:
    one_line_error(run("tags", "--db", f"sqlite:///{tmp_path}"), 1, "is a directory")


def test_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_bytes(b"these are notes, not SQLite pages\n" * 200)
    one_line_error(run("db", "migrate", "--db", f"sqlite:///{path}"), 1, "not a database")


def test_a_read_only_database_that_needs_migrating(tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    path.write_bytes(b"")  # a SQLite database without tables: opening it migrates
    url = f"sqlite:///file:{path}?mode=ro&uri=true"
    one_line_error(run("tags", "--db", url), 1, "cannot open the database", "readonly")


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only directories")
def test_a_sqlite_file_in_a_read_only_directory(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        done = run("tags", "--db", f"sqlite:///{folder}/t.db")
    finally:
        folder.chmod(0o755)
    one_line_error(done, 1, "cannot open the database", "not writable")


def test_postgresql_where_nothing_listens() -> None:
    pytest.importorskip("psycopg")
    # Bound and not listening: a connection to it is refused at once, deterministically.
    with socket.socket() as bound:
        bound.bind(("127.0.0.1", 0))
        port = bound.getsockname()[1]
        url = f"postgresql://news:secret@127.0.0.1:{port}/news"
        line = one_line_error(run("sources", "--db", url), 1, "cannot open the database")
        assert "refused" in line and str(port) in line
        assert "secret" not in line  # the password is not printed
        one_line_error(run("db", "copy", "--from", url, "--to", url), 1, "refused")


# -- standard output closed early ---------------------------------------------------------


@pytest.fixture(scope="module")
def many_sources(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = f"sqlite:///{tmp_path_factory.mktemp('pipe')}/many.db"
    store = Store(url)
    store.upsert_sources(
        Source(
            name=f"Publisher number {i}",
            url=f"https://p{i}.example/",
            feeds=(f"https://p{i}.example/rss.xml",),
            region="europe",
        )
        for i in range(SOURCES)
    )
    store.close()
    yield url


@pytest.mark.parametrize("unbuffered", ["", "1"], ids=["buffered", "unbuffered"])
@pytest.mark.parametrize("command", [["sources"], ["sources", "export"]], ids=" ".join)
def test_a_closed_pipe_ends_quietly(command: list[str], unbuffered: str, many_sources: str) -> None:
    """`tagwire sources | head -1`: the reader takes one line and closes; with Python's
    output buffered or not (PYTHONUNBUFFERED)."""
    env = {k: v for k, v in ENV.items() if k != "PYTHONUNBUFFERED"}
    if unbuffered:
        env["PYTHONUNBUFFERED"] = unbuffered
    with subprocess.Popen(
        [TAGWIRE, *command, "--db", many_sources],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        env=env,
    ) as process:
        assert process.stdout is not None and process.stderr is not None
        first = process.stdout.readline()
        assert first.strip()
        process.stdout.close()
        stderr = process.stderr.read()
        assert process.wait(timeout=60) == 1
    assert stderr == ""  # no BrokenPipeError, no "Exception ignored"


def test_the_whole_output_when_the_pipe_stays_open(many_sources: str) -> None:
    done = run("sources", "--db", many_sources)
    assert done.returncode == 0 and done.stderr == ""
    assert len(done.stdout.splitlines()) == SOURCES + 1
    assert len(done.stdout) > 2 * (64 + 8) * 1024  # the closed-pipe test's premise


# -- serve: the address is bound before "serving" -------------------------------------------


def test_serve_on_a_busy_port(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = run("serve", "--no-poll", "--port", str(port), "--db", f"sqlite:///{tmp_path}/t.db")
    one_line_error(done, 1, f"cannot listen on 127.0.0.1:{port}", "in use")
    assert "serving" not in done.stdout


def test_serve_on_an_address_that_does_not_resolve(tmp_path: Path) -> None:
    done = run("serve", "--host", "no-such-host.invalid", "--db", f"sqlite:///{tmp_path}/t.db")
    one_line_error(done, 1, "cannot listen on no-such-host.invalid:8000")
    assert "serving" not in done.stdout


# -- numbers checked by argparse: a usage error, exit 2 ---------------------------------------


@pytest.mark.parametrize(
    "args, words",
    [
        (["serve", "--port", "99999"], ["--port", "1 to 65535", "99999"]),
        (["serve", "--port", "0"], ["--port", "1 to 65535"]),
        (["serve", "--port", "http"], ["--port", "not a whole number"]),
        (["tags", "--limit", "-3"], ["--limit", "1 or more", "-3"]),
        (["tags", "--limit", "0"], ["--limit", "1 or more"]),
        (["sources", "pause", "-1"], ["ID", "1 or more"]),
        (["import", "a.jsonl", "--workers", "-2"], ["--workers", "0 or more"]),
        (["worker", "--concurrency", "-1"], ["--concurrency", "0 or more"]),
        (["tags", "--no-such-option"], ["unrecognized arguments"]),
        (["no-such-command"], ["invalid choice"]),
    ],
    ids=lambda value: " ".join(value) if isinstance(value, list) else None,
)
def test_numbers_out_of_range_are_usage_errors(args: list[str], words: list[str]) -> None:
    line = one_line_error(run(*args, timeout=30), 2, "error:", *words)
    assert "--help" in line  # where to read more


# -- other runtime errors ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "command",
    [
        ["import", "{missing}"],
        ["curate", "{missing}"],
        ["ingest", "--sources", "{missing}"],
        ["sources", "import", "{missing}"],
    ],
    ids=" ".join,
)
def test_a_file_that_cannot_be_read(command: list[str], tmp_path: Path) -> None:
    missing = str(tmp_path / "missing.file")
    args = [part.format(missing=missing) for part in command]
    one_line_error(run(*args, "--db", f"sqlite:///{tmp_path}/t.db"), 1, missing)


def test_a_source_that_does_not_exist(tmp_path: Path) -> None:
    one_line_error(
        run("sources", "pause", "7", "--db", f"sqlite:///{tmp_path}/t.db"), 1, "no source 7"
    )
