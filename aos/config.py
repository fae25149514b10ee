"""Where the shell keeps its files, and the settings read from flags, env and config.toml.

Precedence, highest first: command-line flags, `AOS_*` environment variables,
`$XDG_CONFIG_HOME/aos/config.toml`, defaults. Only the standard library and platformdirs are
used here, so every layer may read its settings without pulling in anything else.

Files:
    ~/.aos.json                         the wallet (the aos console's file; --wallet overrides)
    <user_data_dir>/aos/node/           the embedded node's database (AOS_DATA_DIR, --data-dir)
    <user_data_dir>/aos/shell/          history, live-feed cursors, the name registry, pads
                                        (AOS_STATE_DIR overrides)
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import platformdirs

from aos.errors import AosError

CONFIG_KEYS = (
    "wallet", "data_dir", "state_dir", "mu_url", "cu_url", "gateway_url", "su_url", "url"
)  # fmt: skip


@dataclass(frozen=True)
class Settings:
    """Everything the shell needs to know before it opens a wallet or a node."""

    wallet_path: Path
    data_dir: Path
    state_dir: Path
    mu_url: str | None = None
    cu_url: str | None = None
    gateway_url: str | None = None
    su_url: str | None = None
    url: str | None = None  # a HyperBEAM node (--url): the mainnet protocol
    debug: bool = False
    color: bool = True
    wallet_explicit: bool = False  # named by flag, AOS_WALLET or config: it must exist

    @property
    def remote(self) -> bool:
        """True when the user named ao units or a HyperBEAM node, so no embedded node is
        opened."""
        return any((self.mu_url, self.cu_url, self.gateway_url, self.url))


def _home(env: Mapping[str, str]) -> Path:
    return Path(env.get("HOME") or Path.home())


def config_file(env: Mapping[str, str]) -> Path:
    """`$XDG_CONFIG_HOME/aos/config.toml`, else `~/.config/aos/config.toml`."""
    base = env.get("XDG_CONFIG_HOME") or str(_home(env) / ".config")
    return Path(base) / "aos" / "config.toml"


def read_config_file(path: Path) -> dict[str, str]:
    """The known keys of a config.toml; a missing file is an empty config."""
    if not path.is_file():
        return {}
    try:
        raw: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as err:
        raise AosError(f"cannot read the config file {path}: {err}; fix or remove it") from err
    unknown = sorted(set(raw) - set(CONFIG_KEYS))
    if unknown:
        raise AosError(
            f"unknown key {unknown[0]!r} in {path}; known keys: {', '.join(CONFIG_KEYS)}"
        )
    return {key: str(value) for key, value in raw.items()}


def user_data_dir(env: Mapping[str, str]) -> Path:
    """platformdirs' data dir for "aos", honouring XDG_DATA_HOME from `env`."""
    if env.get("XDG_DATA_HOME"):
        return Path(env["XDG_DATA_HOME"]) / "aos"
    return Path(platformdirs.user_data_dir("aos"))


def color_enabled(env: Mapping[str, str], isatty: bool) -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set (https://no-color.org)."""
    return isatty and "NO_COLOR" not in env and env.get("TERM") != "dumb"


def load_settings(
    *,
    env: Mapping[str, str] | None = None,
    wallet: str | None = None,
    data_dir: str | None = None,
    mu_url: str | None = None,
    cu_url: str | None = None,
    gateway_url: str | None = None,
    su_url: str | None = None,
    url: str | None = None,
    debug: bool = False,
    isatty: bool = False,
) -> Settings:
    """Resolve the settings: flags, then AOS_* variables, then config.toml, then defaults."""
    env = os.environ if env is None else env
    file = read_config_file(config_file(env))

    def pick(flag: str | None, var: str, key: str) -> str | None:
        return flag or env.get(var) or file.get(key) or None

    home = _home(env)
    wallet_s = pick(wallet, "AOS_WALLET", "wallet")
    data_s = pick(data_dir, "AOS_DATA_DIR", "data_dir")
    state_s = pick(None, "AOS_STATE_DIR", "state_dir")
    base = user_data_dir(env)
    return Settings(
        wallet_path=Path(wallet_s).expanduser() if wallet_s else home / ".aos.json",
        data_dir=Path(data_s).expanduser() if data_s else base / "node",
        state_dir=Path(state_s).expanduser() if state_s else base / "shell",
        mu_url=_url(pick(mu_url, "AOS_MU_URL", "mu_url"), "--mu-url"),
        cu_url=_url(pick(cu_url, "AOS_CU_URL", "cu_url"), "--cu-url"),
        gateway_url=_url(pick(gateway_url, "AOS_GATEWAY_URL", "gateway_url"), "--gateway-url"),
        su_url=_url(pick(su_url, "AOS_SU_URL", "su_url"), "--su-url"),
        url=_url(pick(url, "AOS_URL", "url"), "--url"),
        debug=debug or env.get("AOS_DEBUG") == "1",
        color=color_enabled(env, isatty),
        wallet_explicit=wallet_s is not None,
    )


def _url(value: str | None, flag: str) -> str | None:
    if value is None:
        return None
    if not value.startswith(("http://", "https://")):
        raise AosError(f"{flag} {value!r} is not an http(s) URL; write e.g. http://127.0.0.1:8734")
    return value.rstrip("/")
