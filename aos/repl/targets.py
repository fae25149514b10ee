"""Where an Eval's messages went: a `Send` to a process that does not exist is reported.

The messenger delivers an outbox message to a process on the node; one to any other id is
only stored (it may be a wallet), and one to something that is not an id is dropped. Either
way nothing would tell the user, so after each Eval the shell looks at its outbox and asks
the scheduler about each target it has not seen yet (`AoClient.process_exists`).
"""

from __future__ import annotations

from aos.client import AoClient, Result
from aos.ids import is_id


class Targets:
    """The targets this shell knows to be processes, and the check of new ones."""

    def __init__(self, client: AoClient) -> None:
        self.client = client
        self.known: set[str] = set()

    def problems(self, result: Result) -> list[str]:
        """One sentence for each message of `result` sent to no process."""
        out: list[str] = []
        for message in result.messages:
            target = message.get("Target")
            if not isinstance(target, str) or not target or target in self.known:
                continue  # no target at all: the process itself warns about that
            if not is_id(target):
                out.append(
                    f"Send to {target!r}: that is not a process id (43 characters of "
                    "A-Z a-z 0-9 _ -), so the message was not sent"
                )
                continue
            exists = self.client.process_exists(target)
            if exists:
                self.known.add(target)
            elif exists is False:
                out.append(
                    f"Send to {target}: no process with that id on this node, so no process "
                    "will read the message (a typo? `aos --list` lists your processes)"
                )
        return out
