"""The sender's gate: at most n messages on the wire, urgent (P1) ones let in first."""

from __future__ import annotations

import asyncio

from api.adapters.webpush import UrgentFirst


async def _hold(
    gate: UrgentFirst, name: str, urgent: bool, order: list[str], go: asyncio.Event
) -> None:
    async with gate.turn(urgent=urgent):
        order.append(name)
        await go.wait()


async def test_urgent_waiters_go_first_each_kind_in_arrival_order() -> None:
    gate = UrgentFirst(1)
    order: list[str] = []
    go = asyncio.Event()
    go.set()
    async with gate.turn(urgent=False):  # the wire is full
        tasks = [
            asyncio.create_task(_hold(gate, name, urgent, order, go))
            for name, urgent in [
                ("a", False),
                ("b", False),
                ("p1-x", True),
                ("c", False),
                ("p1-y", True),
            ]
        ]
        await asyncio.sleep(0)
        assert order == []
    await asyncio.gather(*tasks)
    assert order == ["p1-x", "p1-y", "a", "b", "c"]


async def test_at_most_n_hold_a_turn_and_a_cancelled_waiter_loses_no_turn() -> None:
    gate = UrgentFirst(2)
    order: list[str] = []
    go = asyncio.Event()
    holders = [asyncio.create_task(_hold(gate, f"h{i}", False, order, go)) for i in range(2)]
    await asyncio.sleep(0)
    waiting = [asyncio.create_task(_hold(gate, f"w{i}", i == 1, order, go)) for i in range(3)]
    await asyncio.sleep(0)
    assert order == ["h0", "h1"]  # two on the wire, three waiting
    waiting[1].cancel()  # the urgent one gives up before its turn
    await asyncio.sleep(0)
    go.set()
    await asyncio.gather(*holders, waiting[0], waiting[2])
    assert order == ["h0", "h1", "w0", "w2"]
    # Every turn came back: two can hold one again at once.
    async with gate.turn(urgent=False), gate.turn(urgent=True):
        pass
    assert gate._free == 2


async def test_a_waiter_cancelled_as_its_turn_came_passes_the_turn_on() -> None:
    gate = UrgentFirst(1)
    order: list[str] = []
    go = asyncio.Event()
    go.set()
    async with gate.turn(urgent=False):
        late = asyncio.create_task(_hold(gate, "late", True, order, go))
        after = asyncio.create_task(_hold(gate, "after", False, order, go))
        await asyncio.sleep(0)
    late.cancel()  # its turn was given at the release above, before it ran
    await asyncio.gather(late, after, return_exceptions=True)
    assert order == ["after"] and late.cancelled()
    assert gate._free == 1
