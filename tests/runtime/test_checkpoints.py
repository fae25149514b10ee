"""A checkpoint (the state kept inside the VM for a rollback, lua/snapshot.lua) is invisible
to the process: what it dropped since is collected as if no checkpoint had been taken, and
a rollback rebuilds what the collector took, shared upvalues included. Checkpoints are
taken when the evaluation time says so, so anything else would make a result depend on
timing (the determinism stress run found it: a weak table's count after collectgarbage())."""

from __future__ import annotations

from tests.support.process import Proc

SETUP = (
    "Cache = setmetatable({}, {__mode = 'k'}) Obj = {} Cache[Obj] = true "
    "do local x = 0 function Inc() x = x + 1 return x end function Get() return x end end "
    "return Inc()"
)
DROP = (
    "Probe = setmetatable({Get}, {__mode = 'v'}) Obj, Get = nil, nil collectgarbage() "
    "local n = 0 for _ in pairs(Cache) do n = n + 1 end "
    "return tostring(Probe[1] == nil) .. ' ' .. n .. ' ' .. Inc()"
)


def test_what_was_dropped_after_a_checkpoint_is_collected_as_without_one() -> None:
    seen = []
    for checkpoint in (False, True):
        proc = Proc()
        assert proc.value(SETUP) == "1"
        if checkpoint:
            proc.process.checkpoint()
        seen.append(proc.value(DROP))
    assert seen == ["true 0 2", "true 0 2"]


def test_a_rollback_remakes_collected_objects_and_their_shared_upvalues() -> None:
    proc = Proc()
    assert proc.value(SETUP) == "1"
    proc.process.checkpoint()
    assert proc.value(DROP) == "true 0 2"
    proc.process.rollback()
    # back to the checkpoint: Get is there again, made anew, and shares x with Inc (reused)
    assert proc.value("return Inc() .. ' ' .. Get() .. ' ' .. tostring(Probe)") == "2 2 nil"
    assert proc.value("local n = 0 for _ in pairs(Cache) do n = n + 1 end return n") == "1"
