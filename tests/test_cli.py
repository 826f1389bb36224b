"""The command line: help texts, settings, and failures that are reported, not raised."""

from __future__ import annotations

from pathlib import Path

import pytest

from tagwire import cli, config
from tagwire.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("command", ["ingest", "serve", "tags", "sources", "curate", "config"])
def test_every_command_explains_itself(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main([command, "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert f"tagwire {command}" in out
    if command in {"ingest", "serve"}:
        assert "--db URL" in out and "--sources FILE" in out


def test_every_setting_is_documented_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [s.name for s in config.SETTINGS if f"`{s.name}`" not in readme]
    assert not missing


def test_config_reads_env_then_file_then_default(tmp_path: Path) -> None:
    path = tmp_path / "tagwire.toml"
    path.write_text('host_delay = 0.25\nallowed_hosts = ["127.0.0.1", "10.0.0.0/8"]\n')
    settings = config.load({"TAGWIRE_CONFIG": str(path), "TAGWIRE_HOST_CONCURRENCY": "4"})
    assert settings.host_delay == 0.25 and settings.origins["TAGWIRE_HOST_DELAY"] == "file"
    assert settings.allowed_hosts == ("127.0.0.1", "10.0.0.0/8")
    assert settings.host_concurrency == 4 and settings.origins["TAGWIRE_HOST_CONCURRENCY"] == "env"
    assert settings.origins["TAGWIRE_TIMEOUT"] == "default"


def test_bad_settings_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="TAGWIRE_HOST_DELAY"):
        config.load({"TAGWIRE_HOST_DELAY": "soon"})
    path = tmp_path / "c.toml"
    path.write_text("no_such_setting = 1\n")
    with pytest.raises(ConfigError, match="unknown settings no_such_setting"):
        config.load({"TAGWIRE_CONFIG": str(path)})


def test_config_command_prints_effective_settings(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TAGWIRE_HOST_DELAY", "0.5")
    monkeypatch.setenv("TAGWIRE_ADMIN_TOKEN", "secret")
    assert cli.main(["config"]) == 0
    out = capsys.readouterr().out
    assert "TAGWIRE_HOST_DELAY=0.5    # env" in out
    assert "secret" not in out and "TAGWIRE_ADMIN_TOKEN=(set)" in out


def test_a_bad_sources_file_is_an_error_message_not_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[[sources]]\nfeeds = ['ftp://x.example/f']\n")
    assert cli.main(["ingest", "--sources", str(bad), "--db", f"sqlite:///{tmp_path}/t.db"]) == 1
    assert "not an http(s) URL" in capsys.readouterr().err


def test_tags_and_sources_on_an_empty_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = f"sqlite:///{tmp_path}/empty.db"
    assert cli.main(["tags", "--db", db]) == 0
    assert capsys.readouterr().out == ""
    assert cli.main(["sources", "--db", db]) == 0
    assert capsys.readouterr().out.startswith("no sources yet")
