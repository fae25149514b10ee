"""The limits of a process: an instruction budget per message, a memory cap, and the
wall-clock watchdog behind them."""

from __future__ import annotations

from dataclasses import dataclass

from aos.limits import DEFAULT_MEMORY, INSTRUCTION_LIMIT, MIB, WATCHDOG_SECONDS


@dataclass(frozen=True)
class RuntimeLimits:
    """Limits of one Lua process.

    `instruction_limit` is counted (never timed) by a Lua count hook, so a replay hits it at
    the same instruction; `memory_limit` caps every byte the Lua state allocates;
    `watchdog` is the seconds of wall clock a message may run anyway (0: no watchdog),
    checked by the same hook: the one limit that is timed (aos.errors.MessageStopped).
    """

    memory_limit: int = DEFAULT_MEMORY
    instruction_limit: int = INSTRUCTION_LIMIT
    watchdog: int = WATCHDOG_SECONDS

    def __post_init__(self) -> None:
        if self.memory_limit < 4 * MIB:
            raise ValueError(
                f"memory_limit must be at least 4 MiB (the process library needs it), "
                f"got {self.memory_limit} bytes"
            )
        if self.watchdog < 0:
            raise ValueError(f"watchdog must be 0 (none) or more seconds, got {self.watchdog}")
        if self.instruction_limit < 100_000:
            raise ValueError(
                f"instruction_limit must be at least 100000, got {self.instruction_limit}"
            )

    def memory_text(self) -> str:
        """The Error text of a message that hit the memory cap."""
        if self.memory_limit % MIB == 0:
            size = f"{self.memory_limit // MIB} MiB"
        else:
            size = f"{self.memory_limit} bytes"
        return f"memory limit exceeded ({size})"
