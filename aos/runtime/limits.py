"""The two limits of a process: an instruction budget per message and a memory cap."""

from __future__ import annotations

from dataclasses import dataclass

from aos.limits import DEFAULT_MEMORY, INSTRUCTION_LIMIT, MIB


@dataclass(frozen=True)
class RuntimeLimits:
    """Limits of one Lua process.

    `instruction_limit` is counted (never timed) by a Lua count hook, so a replay hits it at
    the same instruction; `memory_limit` caps every byte the Lua state allocates.
    """

    memory_limit: int = DEFAULT_MEMORY
    instruction_limit: int = INSTRUCTION_LIMIT

    def __post_init__(self) -> None:
        if self.memory_limit < 4 * MIB:
            raise ValueError(
                f"memory_limit must be at least 4 MiB (the process library needs it), "
                f"got {self.memory_limit} bytes"
            )
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
