"""Settings: flags over AOS_* variables over config.toml over defaults; colour rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from aos.config import color_enabled, load_settings
from aos.errors import AosError


def test_defaults_follow_home_and_xdg(tmp_path: Path) -> None:
    env = {"HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path / "data")}
    settings = load_settings(env=env)
    assert settings.wallet_path == tmp_path / ".aos.json"
    assert settings.data_dir == tmp_path / "data" / "aos" / "node"
    assert settings.state_dir == tmp_path / "data" / "aos" / "shell"
    assert not settings.remote


def test_flags_beat_environment_beat_config_file(tmp_path: Path) -> None:
    conf = tmp_path / "conf" / "aos"
    conf.mkdir(parents=True)
    (conf / "config.toml").write_text(
        'cu_url = "http://file:1"\nmu_url = "http://file:2"\ndata_dir = "/from/file"\n'
    )
    env = {
        "HOME": str(tmp_path),
        "XDG_CONFIG_HOME": str(tmp_path / "conf"),
        "AOS_CU_URL": "http://env:1/",
        "AOS_DATA_DIR": "/from/env",
    }
    settings = load_settings(env=env, cu_url="http://flag:1")
    assert settings.cu_url == "http://flag:1"
    assert settings.mu_url == "http://file:2"
    assert settings.data_dir == Path("/from/env")
    assert settings.remote
    assert load_settings(env=env).cu_url == "http://env:1"


def test_bad_url_and_unknown_config_key_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(AosError, match="--mu-url 'localhost:1' is not an http"):
        load_settings(env={"HOME": str(tmp_path)}, mu_url="localhost:1")
    conf = tmp_path / "aos"
    conf.mkdir()
    (conf / "config.toml").write_text('colour = "x"\n')
    with pytest.raises(AosError, match="unknown key 'colour'"):
        load_settings(env={"HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path)})


def test_colour_needs_a_terminal_and_no_NO_COLOR() -> None:
    assert color_enabled({}, True)
    assert not color_enabled({}, False)
    assert not color_enabled({"NO_COLOR": ""}, True)
    assert not color_enabled({"TERM": "dumb"}, True)
