"""The per-process memory of live sessions (api/db/principals.py): what it keeps, for how long,
and what makes it forget."""

from __future__ import annotations

import uuid

import pytest

from api.db import principals
from api.db.principals import SessionMemory


class Listening:
    def __init__(self) -> None:
        self.epoch: int | None = 1

    def __call__(self) -> int | None:
        return self.epoch


@pytest.fixture
def listening() -> Listening:
    return Listening()


def test_a_live_session_is_recalled_for_its_user_only(listening: Listening) -> None:
    memory = SessionMemory(60, listening)
    sid = uuid.uuid4()
    memory.keep(sid, 7, "seven", 3600, memory.changes)
    assert memory.recall(sid, 7) == "seven"
    assert memory.recall(sid, 8) is None
    assert memory.recall(uuid.uuid4(), 7) is None


def test_a_read_that_overlapped_a_forget_is_not_kept(listening: Listening) -> None:
    memory = SessionMemory(60, listening)
    sid = uuid.uuid4()
    before = memory.changes
    memory.forget_user(99)  # a change to anyone, while the read was under way
    memory.keep(sid, 7, "seven", 3600, before)
    assert memory.recall(sid, 7) is None


def test_nothing_is_kept_or_recalled_without_the_listen_connection(listening: Listening) -> None:
    memory = SessionMemory(60, listening)
    sid = uuid.uuid4()
    listening.epoch = None
    memory.keep(sid, 7, "seven", 3600, memory.changes)
    assert memory.recall(sid, 7) is None
    listening.epoch = 1
    memory.keep(sid, 7, "seven", 3600, memory.changes)
    listening.epoch = None
    assert memory.recall(sid, 7) is None
    # Back on a new connection: what was kept before the gap stays unused.
    listening.epoch = 2
    assert memory.recall(sid, 7) is None


def test_kept_no_longer_than_the_setting_nor_the_session(
    listening: Listening, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = [1000.0]
    monkeypatch.setattr(principals.time, "monotonic", lambda: now[0])
    memory = SessionMemory(60, listening)
    long, short = uuid.uuid4(), uuid.uuid4()
    memory.keep(long, 1, "long", 3600, memory.changes)
    memory.keep(short, 2, "short", 5, memory.changes)  # the session expires in 5 s
    now[0] += 4.9
    assert memory.recall(long, 1) == "long" and memory.recall(short, 2) == "short"
    now[0] += 0.2
    assert memory.recall(short, 2) is None and memory.recall(long, 1) == "long"
    now[0] += 55
    assert memory.recall(long, 1) is None
    off = SessionMemory(0, listening)
    off.keep(long, 1, "long", 3600, off.changes)
    assert off.recall(long, 1) is None


def test_forgetting_a_user_forgets_every_session_of_theirs(listening: Listening) -> None:
    memory = SessionMemory(60, listening)
    a, b, c = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    for sid, uid in ((a, 1), (b, 1), (c, 2)):
        memory.keep(sid, uid, uid, 3600, memory.changes)
    memory.heard("1")
    assert memory.recall(a, 1) is None and memory.recall(b, 1) is None
    assert memory.recall(c, 2) == 2
    memory.forget_session(c)
    assert memory.recall(c, 2) is None
    memory.keep(c, 2, 2, 3600, memory.changes)
    memory.heard("not a user id")  # unreadable: everyone is forgotten
    assert memory.recall(c, 2) is None


def test_this_processs_changes_reach_every_registered_memory(listening: Listening) -> None:
    first, second = SessionMemory(60, listening), SessionMemory(60, listening)
    sid = uuid.uuid4()
    principals.register(first)
    principals.register(second)
    try:
        for memory in (first, second):
            memory.keep(sid, 5, "five", 3600, memory.changes)
        principals.forget_user(5)
        assert first.recall(sid, 5) is None and second.recall(sid, 5) is None
        for memory in (first, second):
            memory.keep(sid, 5, "five", 3600, memory.changes)
        principals.forget_session(sid)
        assert first.recall(sid, 5) is None and second.recall(sid, 5) is None
    finally:
        principals.unregister(first)
        principals.unregister(second)


def test_the_oldest_answer_goes_first_when_full(
    listening: Listening, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(principals, "_MAX_ENTRIES", 2)
    memory = SessionMemory(60, listening)
    a, b, c = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    for sid, uid in ((a, 1), (b, 2), (c, 3)):
        memory.keep(sid, uid, uid, 3600, memory.changes)
    assert memory.recall(a, 1) is None
    assert memory.recall(b, 2) == 2 and memory.recall(c, 3) == 3
