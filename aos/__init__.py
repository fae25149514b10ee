"""aos: the interactive Lua shell of the AO computer, with its own embedded ao node."""

import sys
import types

__version__ = "0.1.0"

# httpx imports its own command-line tool (`httpx._main`, which loads click and rich's
# console) whenever those happen to be installed; aos never runs it, and it was a third
# of httpx's import time, paid by every `aos` start (~70 ms of an attach). A stand-in
# keeps `httpx.main` defined; it is put in place only before httpx is first imported.
if "httpx" not in sys.modules and "httpx._main" not in sys.modules:
    _stand_in = types.ModuleType(
        "httpx._main", "aos: httpx's CLI is not loaded (see aos/__init__.py)"
    )

    def _no_cli() -> None:
        raise SystemExit("aos does not load httpx's command-line tool; run `python -m httpx`")

    _stand_in.main = _no_cli  # type: ignore[attr-defined]
    sys.modules["httpx._main"] = _stand_in
