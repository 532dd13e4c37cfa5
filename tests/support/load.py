"""A bounded intake load for fault drills: operators creating cases as fast as the API answers.

Every answer is recorded (time, status, ``Retry-After``, the created case's id), so a drill can
check what was acknowledged against what the database holds afterwards.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from dataclasses import dataclass, field

import httpx

BODY = {
    "category_id": 0,
    "lat": -3.9945,
    "lon": 122.5123,
    "description": "Latihan gangguan: pohon tumbang di jalan",
    "address": "Jl. Ahmad Yani",
    "reporter": {"name": "Warga", "phone": "081234567890"},
}


@dataclass
class Answer:
    at: float  # time.monotonic() when the answer (or the failure) arrived
    status: int  # 0 when no HTTP answer came (connection refused or reset)
    retry_after: str | None = None
    case_id: str | None = None
    error: str = ""


@dataclass
class IntakeLoad:
    base_url: str
    token: str
    category_id: int
    concurrency: int = 4
    answers: list[Answer] = field(default_factory=list)
    stop: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def created(self) -> list[str]:
        return [a.case_id for a in self.answers if a.status == 201 and a.case_id]

    def since(self, t: float) -> list[Answer]:
        return [a for a in self.answers if a.at >= t]

    async def _one_client(self, k: int) -> None:
        counter = itertools.count()
        headers = {"Authorization": f"Bearer {self.token}"}
        # A fresh connection per request: a killed server must not hang a kept-alive socket.
        limits = httpx.Limits(max_keepalive_connections=0)
        async with httpx.AsyncClient(base_url=self.base_url, timeout=10, limits=limits) as http:
            while not self.stop.is_set():
                n = next(counter)
                body = {**BODY, "category_id": self.category_id}
                body["description"] = f"{BODY['description']} ({k}-{n})"
                try:
                    r = await http.post("/api/cases", json=body, headers=headers)
                except httpx.HTTPError as exc:
                    self.answers.append(Answer(time.monotonic(), 0, error=type(exc).__name__))
                    # Nothing listens (killed, restarting): try again shortly, not in a hot loop.
                    await asyncio.sleep(0.05)
                    continue
                case_id = r.json().get("id") if r.status_code == 201 else None
                self.answers.append(
                    Answer(time.monotonic(), r.status_code, r.headers.get("retry-after"), case_id)
                )
                if r.status_code >= 500:
                    await asyncio.sleep(0.05)

    async def __aenter__(self) -> IntakeLoad:
        self._tasks = [asyncio.create_task(self._one_client(k)) for k in range(self.concurrency)]
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.stop.set()
        await asyncio.wait_for(asyncio.gather(*self._tasks), 30)

    async def wait_for(self, predicate: object, timeout: float, what: str) -> None:
        """Poll ``predicate()`` (a callable) until true, or fail after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while not predicate():  # type: ignore[operator]
            if time.monotonic() > deadline:
                statuses: dict[int, int] = {}
                for a in self.answers:
                    statuses[a.status] = statuses.get(a.status, 0) + 1
                raise AssertionError(f"timed out waiting for {what}; answers so far: {statuses}")
            await asyncio.sleep(0.02)
