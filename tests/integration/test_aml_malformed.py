"""Property-based: AML messages broken in generated ways each get a 4xx problem and change nothing.

Each variant is broken by construction (a required attribute dropped or renamed, a value made of
characters the standard does not allow there, a number out of its range, a truncated body, bytes
that are not text, an envelope that is not the gateway's), so the property does not lean on the
parser it tests. Every request is correctly signed: what is refused is the message, not the
sender. After each one the tables it could touch are exactly as before.
"""

from __future__ import annotations

import json
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from api.domain.aml import HTTPS_OPTIONAL, HTTPS_REQUIRED
from tests.conftest import Clock
from tests.integration.test_aml import NUMBER, https_form, signed, sms_text
from tests.unit.test_aml_rules import with_length

Client = AsyncTestClient[Litestar]
EXAMPLES = 60  # per way in: 120 malformed messages in all
SMS_ATTRIBUTES = ("lt", "lg", "rd", "top", "lc", "pm", "si", "ei", "mcc", "mnc")
KNOWN_FIELDS = HTTPS_OPTIONAL | set(HTTPS_REQUIRED)
# Characters no AML number, time or code may contain (';' and '=' would split the SMS anew).
JUNK = st.text(alphabet="abcxyzQ#%$!@ ,*/_~äé\u00a0", min_size=1, max_size=8).filter(str.strip)
TOUCHED = ("caller_locations", "calls", "idempotent_requests")
SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,
)


def _sms_attributes(body: str) -> list[tuple[str, str]]:
    return [tuple(p.split("=", 1)) for p in body.split(";")[1:-1]]  # type: ignore[misc]


def _sms_join(pairs: list[tuple[str, str]], header: str = 'A"ML=1') -> str:
    return with_length(header + ";" + "".join(f"{k}={v};" for k, v in pairs) + "ml=")


@st.composite
def broken_sms(draw: st.DrawFn, good: str) -> tuple[str, str]:
    """(sender, text): a correct SMS broken in one drawn way."""
    pairs = _sms_attributes(good)
    names = [k for k, _ in pairs]
    way = draw(
        st.sampled_from(
            ["junk", "drop", "rename", "range", "header", "truncate", "ml", "sender", "swap"]
        )
    )
    sender = NUMBER
    if way == "junk":  # a value with characters it may not have (pm=N's empty values aside)
        i = draw(st.integers(0, len(pairs) - 1))
        pairs[i] = (pairs[i][0], draw(JUNK))
    elif way == "drop":
        del pairs[draw(st.integers(0, len(pairs) - 1))]
    elif way == "rename":
        i = draw(st.integers(0, len(pairs) - 1))
        pairs[i] = (draw(st.sampled_from(["lat", "x", "LT", "ml", "pmm"])), pairs[i][1])
    elif way == "range":
        field, value = draw(
            st.sampled_from(
                [
                    ("lt", f"+{draw(st.integers(91, 99))}.00000"),
                    ("lt", f"-{draw(st.integers(91, 99))}.12345"),
                    ("lg", f"+{draw(st.integers(181, 999))}.00000"),
                    ("lc", str(draw(st.integers(101, 999)))),
                    ("mcc", str(draw(st.integers(0, 99)))),
                    ("top", "20261399" + "000000"),
                    ("top", "2026120" + "5"),
                ]
            )
        )
        pairs[names.index(field)] = (field, value)
    elif way == "header":
        header = draw(st.sampled_from(['A"ML=2', "AML=1", 'A"ML=', 'a"ml=1', 'B"ML=1']))
        return sender, _sms_join(pairs, header)
    elif way == "truncate":
        return sender, good[: draw(st.integers(0, len(good) - 2))]
    elif way == "ml":
        wrong = draw(st.integers(0, 999).filter(lambda n: n not in (len(good), len(good) - 1)))
        return sender, good.rsplit("=", 1)[0] + "=" + str(wrong)
    elif way == "sender":
        sender = draw(st.sampled_from(["", "12", "not a phone", "+" + "9" * 30]))
        return sender, good
    else:  # two attributes out of their order
        i = draw(st.integers(0, len(pairs) - 2))
        pairs[i], pairs[i + 1] = pairs[i + 1], pairs[i]
    return sender, _sms_join(pairs)


@st.composite
def broken_form(draw: st.DrawFn, good: str) -> bytes:
    """A correct HTTPS form post broken in one drawn way."""
    pairs = [p.split("=", 1) for p in good.split("&")]
    way = draw(st.sampled_from(["junk", "drop", "unknown", "twice", "range", "bytes", "shape"]))
    if way == "junk":
        key = draw(
            st.sampled_from([k for k, _ in pairs if k not in ("emergency_number", "source")])
        )
        pairs = [[k, draw(JUNK) if k == key else v] for k, v in pairs]
    elif way == "drop":
        key = draw(st.sampled_from(HTTPS_REQUIRED))
        pairs = [p for p in pairs if p[0] != key]
    elif way == "unknown":
        name = st.from_regex(r"[a-z]{1,12}_[a-z]{1,12}", fullmatch=True)
        pairs.append([draw(name.filter(lambda k: k not in KNOWN_FIELDS)), "1"])
    elif way == "twice":
        pairs.append(list(draw(st.sampled_from(pairs))))
    elif way == "range":
        key, value = draw(
            st.sampled_from(
                [
                    ("location_latitude", str(draw(st.floats(90.001, 1e6)))),
                    ("location_longitude", str(-draw(st.floats(180.001, 1e6)))),
                    ("location_accuracy", str(-draw(st.integers(1, 10**6)))),
                    ("location_confidence", str(draw(st.floats(1.01, 50)))),
                    ("location_time", str(draw(st.integers(0, 10**12)))),  # long before now
                ]
            )
        )
        pairs = [[k, value if k == key else v] for k, v in pairs]
    elif way == "bytes":
        return good.encode() + draw(st.sampled_from([b"\xff", b"\xc3(", b"\x80abc", b"&\xfe=1"]))
    else:
        return draw(st.sampled_from([b"", b"&&", b"=", b"v", b"{}", b"v=1&=2", b"%zz=1"]))
    return "&".join(f"{k}={v}" for k, v in pairs).encode()


async def _snapshot(db: AsyncSession) -> tuple[int, ...]:
    counts = []
    for table in TOUCHED:
        sql = f"SELECT count(*) FROM {table}"  # noqa: S608 - the test's own table names
        counts.append(int((await db.execute(text(sql))).scalar_one()))
    return tuple(counts)


def _is_problem(r: object, *, status: int) -> bool:
    body = r.json()  # type: ignore[attr-defined]
    return (
        status // 100 == 4
        and r.headers["content-type"].startswith("application/problem+json")  # type: ignore[attr-defined]
        and body["code"] in ("aml_malformed", "validation_failed")
        and bool(body["detail"])
    )


@SETTINGS
@given(data=st.data())
async def test_malformed_sms_gets_a_problem_and_changes_nothing(
    client: Client, db: AsyncSession, clock: Clock, data: st.DataObject
) -> None:
    good = sms_text(clock.now - timedelta(seconds=5))
    sender, body = data.draw(broken_sms(good))
    before = await _snapshot(db)
    raw = json.dumps({"from": sender, "text": body}).encode()
    headers = signed(client.app.state.aml_secret, raw, clock.now, "application/json")
    r = await client.post("/api/aml/sms", content=raw, headers=headers)
    assert _is_problem(r, status=r.status_code), (r.status_code, r.text, body)
    assert await _snapshot(db) == before


@SETTINGS
@given(data=st.data())
async def test_malformed_https_gets_a_problem_and_changes_nothing(
    client: Client, db: AsyncSession, clock: Clock, data: st.DataObject
) -> None:
    raw = data.draw(broken_form(https_form(clock.now - timedelta(seconds=5))))
    before = await _snapshot(db)
    headers = signed(
        client.app.state.aml_secret, raw, clock.now, "application/x-www-form-urlencoded"
    )
    r = await client.post("/api/aml/https", content=raw, headers=headers)
    assert _is_problem(r, status=r.status_code), (r.status_code, r.text, raw)
    assert await _snapshot(db) == before
