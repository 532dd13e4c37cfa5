"""How a live stream paces its writes (api/routes/events.py): while only team positions wait, a
stream holds them for up to ``POSITIONS_S`` so a surge of pings is a few writes a second; a case
event (or any other message) cuts that wait short, and an ended stream never waits."""

from __future__ import annotations

import asyncio
import json
import uuid

import pytest

from api.adapters.events import RESET
from api.auth import Principal
from api.routes import events
from api.routes.events import LiveHub, _Listener

DISPATCHER = Principal(1, "dispatcher", "dispatcher", None, "id", uuid.uuid4())


def _published(message: dict[str, object]) -> bytes:
    return json.dumps(message).encode()


def _position(n: int) -> bytes:
    return _published(
        {"t": "position", "team_id": n, "agency_id": 1, "lon": 122.5, "lat": -3.98, "at": "x"}
    )


CASE = _published({"t": "case", "id": 7, "agency_id": 1, "kind": "note", "case_id": "c"})


def _hub_with(listener: _Listener) -> LiveHub:
    hub = LiveHub(channels=None)  # type: ignore[arg-type]  # its subscription is not started here
    hub._listeners.add(listener)
    return hub


async def test_positions_alone_wait_the_positions_interval(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(events, "POSITIONS_S", 0.3)
    listener = _Listener(DISPATCHER)
    hub = _hub_with(listener)
    for n in range(3):
        hub._fan_out(_position(n))
    assert listener.wake.is_set() and not listener.rush.is_set()
    loop = asyncio.get_running_loop()
    began = loop.time()
    await listener.settle()
    assert loop.time() - began >= 0.3
    assert len(listener.frames) == 3


async def test_a_case_event_cuts_the_positions_wait_short(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(events, "POSITIONS_S", 60.0)  # far longer than the test may take
    listener = _Listener(DISPATCHER)
    hub = _hub_with(listener)
    hub._fan_out(_position(1))
    settling = asyncio.ensure_future(listener.settle())
    await asyncio.sleep(0.05)
    assert not settling.done()
    hub._fan_out(CASE)
    await asyncio.wait_for(settling, 10)
    assert [case_id for _, case_id in listener.frames] == [None, 7]


async def test_an_ended_stream_does_not_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(events, "POSITIONS_S", 60.0)
    listener = _Listener(DISPATCHER)
    hub = _hub_with(listener)
    hub._fan_out(_position(1))
    settling = asyncio.ensure_future(listener.settle())
    await asyncio.sleep(0.05)
    hub._fan_out(RESET)  # the subscription was lost and is back: every stream ends and replays
    await asyncio.wait_for(settling, 10)
    assert listener.ended


async def test_a_full_write_of_positions_does_not_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    """A flood fills a write (``BATCH``) before the interval ends: it goes out at once rather than
    piling up towards the shedding mark."""
    monkeypatch.setattr(events, "POSITIONS_S", 60.0)
    listener = _Listener(DISPATCHER)
    hub = _hub_with(listener)
    for n in range(events.BATCH - 1):
        hub._fan_out(_position(n))
    assert not listener.rush.is_set()
    hub._fan_out(_position(events.BATCH))
    await asyncio.wait_for(listener.settle(), 10)
    assert len(listener.frames) == events.BATCH
