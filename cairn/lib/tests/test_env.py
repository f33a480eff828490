"""Configuration from the environment (lib/env.py): defaults, parsing, clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from cairn.lib.env import ConfigError, data_dir, env_bool, env_int, env_list, env_str, secret_key

NAME = "CAIRN_TEST_SETTING"


@pytest.mark.parametrize("raw", ["1", "true", "YES", " On "])
def test_true_words_read_as_true(monkeypatch: pytest.MonkeyPatch, raw: str) -> None:
    monkeypatch.setenv(NAME, raw)
    assert env_bool(NAME) is True


@pytest.mark.parametrize("raw", ["0", "false", "No", "off", ""])
def test_false_words_read_as_false(monkeypatch: pytest.MonkeyPatch, raw: str) -> None:
    monkeypatch.setenv(NAME, raw)
    assert env_bool(NAME, default=True) is False


def test_an_unset_variable_gives_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(NAME, raising=False)
    assert env_bool(NAME, default=True) is True
    assert env_int(NAME, 8000) == 8000
    assert env_str(NAME, "x") == "x"
    assert env_list(NAME, "a, b") == ["a", "b"]


def test_an_unreadable_boolean_names_the_variable_and_the_choices(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(NAME, "maybe")
    with pytest.raises(ConfigError) as caught:
        env_bool(NAME)
    message = str(caught.value)
    assert NAME in message
    assert "'maybe'" in message
    assert "true/false" in message


def test_an_unreadable_number_names_the_variable_and_the_value(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(NAME, "eight")
    with pytest.raises(ConfigError, match=rf"{NAME} must be a whole number \(got 'eight'\)"):
        env_int(NAME, 1)


def test_a_config_error_is_a_value_error() -> None:
    assert issubclass(ConfigError, ValueError)


def test_numbers_and_blank_numbers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(NAME, " 42 ")
    assert env_int(NAME, 1) == 42
    monkeypatch.setenv(NAME, "  ")
    assert env_int(NAME, 7) == 7


def test_lists_drop_blanks_and_spaces(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(NAME, " a.test, ,b.test ,")
    assert env_list(NAME) == ["a.test", "b.test"]


def test_the_data_dir_is_created(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    target = tmp_path / "nested" / "data"
    monkeypatch.setenv("CAIRN_DATA_DIR", str(target))
    assert data_dir() == target.resolve()
    assert target.is_dir()


def test_the_secret_key_is_generated_once_and_kept(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("CAIRN_SECRET_KEY", raising=False)
    first = secret_key(tmp_path)
    assert len(first) >= 50
    assert secret_key(tmp_path) == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_the_secret_key_from_the_environment_wins(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("CAIRN_SECRET_KEY", "from-env")
    assert secret_key(tmp_path) == "from-env"
    assert not (tmp_path / "secret_key").exists()
