"""A living demo control room: about 200 Kendari cases in every state, with real timelines.

Cases are made through the same services the API uses (intake, routing, the state machine,
photo storage), by the demo users, over the last week, so the map, the lists and the timelines
look like a real week in Kendari. Deterministic (a fixed random seed), and only run on a city
that has no cases yet, so a second run changes nothing.
"""

from __future__ import annotations

import random
import tempfile
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from PIL import Image, ImageDraw
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.adapters.storage import Storage
from api.auth import Principal
from api.config import Settings
from api.db.models import Area, Call, Case, Category, Team, User, team_members
from api.domain.transitions import Action
from api.domain.vocabulary import IN_FIELD, VOID, CallClass, Status
from api.services import cases as svc
from api.services.calls import CallIn, log_call
from api.services.photos import PhotoFile, store_photos


@dataclass(frozen=True)
class DemoContext:
    settings: Settings
    storage: Storage
    now: datetime
    cases: int = 200


# The week's mix of final states (weights), as a control room sees it.
STATES: dict[Status, int] = {
    "new": 18,
    "dispatched": 20,
    "accepted": 14,
    "en_route": 12,
    "on_scene": 12,
    "resolved": 28,
    "closed": 60,
    "returned": 6,
    "reopened": 3,
    "duplicate": 12,
    "invalid": 8,
    "cancelled": 7,
}
PATH = ["dispatched", "accepted", "en_route", "on_scene", "resolved", "closed"]
FIELD_STEP: dict[str, Action] = {
    "accepted": "accept",
    "en_route": "en_route",
    "on_scene": "on_scene",
}
NOTES = {
    "resolved": [
        "Sudah ditangani di lokasi.",
        "Pekerjaan selesai, lokasi aman.",
        "Selesai, warga sudah diberi tahu.",
    ],
    "returned": ["Butuh alat berat.", "Lokasi tidak dapat dijangkau malam ini."],
    "invalid": ["Laporan tidak dapat diverifikasi.", "Alamat fiktif."],
    "cancelled": ["Pelapor membatalkan laporan.", "Sudah ditangani warga sendiri."],
    "reopened": ["Warga melapor masalah muncul lagi."],
}
DESCRIPTIONS = {
    "POHON_TUMBANG": "Pohon besar tumbang menutup badan jalan.",
    "SAMPAH_MENUMPUK": "Kontainer sampah penuh, sampah meluber ke jalan.",
    "LAMPU_JALAN": "Lampu penerangan jalan mati sepanjang 200 meter.",
    "JALAN_RUSAK": "Jalan berlubang dalam, membahayakan pengendara motor.",
    "BANJIR": "Genangan air setinggi lutut di permukiman warga.",
    "KEBAKARAN_BANGUNAN": "Asap tebal keluar dari rumah warga.",
    "ODGJ": "Orang dengan gangguan jiwa berkeliaran di pasar.",
    "PARKIR_LIAR": "Kendaraan parkir di bahu jalan menyebabkan macet.",
    "LISTRIK_PADAM": "Listrik padam di satu lingkungan sejak sore.",
    "PIPA_PDAM": "Pipa PDAM bocor, air menyembur ke jalan.",
    "KECELAKAAN_LALU_LINTAS": "Tabrakan motor dan mobil, ada korban luka.",
    "TAWURAN": "Sekelompok remaja terlibat perkelahian.",
    "BALAP_LIAR": "Balap liar di jalan raya setiap malam.",
    "KEBISINGAN": "Suara musik keras hingga larut malam.",
    "DRAINASE": "Saluran air tersumbat, air meluap saat hujan.",
}
LANDMARKS = [
    "depan masjid",
    "dekat pasar",
    "samping sekolah",
    "depan kantor lurah",
    "dekat pertigaan",
    "belakang puskesmas",
    "depan toko",
    "ujung lorong",
]
STREETS = [
    "Jl. Ahmad Yani",
    "Jl. Sao-Sao",
    "Jl. MT Haryono",
    "Jl. Malaka",
    "Jl. Abdullah Silondae",
    "Jl. Bunggasi",
    "Jl. Poros Kendari-Moramo",
    "Jl. Edi Sabara",
    "Jl. Chairil Anwar",
]
# Common complaints come more often (weights by category code; others weigh 1).
CATEGORY_WEIGHTS = {
    "SAMPAH_MENUMPUK": 8,
    "LAMPU_JALAN": 7,
    "POHON_TUMBANG": 6,
    "JALAN_RUSAK": 6,
    "BANJIR": 4,
    "DRAINASE": 4,
    "PARKIR_LIAR": 4,
    "LISTRIK_PADAM": 4,
    "PIPA_PDAM": 4,
    "ODGJ": 3,
    "KEBISINGAN": 3,
    "KECELAKAAN_LALU_LINTAS": 3,
}
CALL_MIX: dict[CallClass, int] = {
    "prank": 12,
    "ghost": 10,
    "informasi": 8,
    "curhat": 3,
    "wrong_number": 3,
}


def _evidence_photos(folder: Path, n: int = 6) -> list[Path]:
    """Small generated JPEGs standing in for a field team's photos (no EXIF, nothing private)."""
    colours = [
        (46, 125, 50),
        (21, 101, 192),
        (239, 108, 0),
        (121, 85, 72),
        (96, 125, 139),
        (173, 20, 87),
    ]
    paths = []
    for i in range(n):
        img = Image.new("RGB", (800, 600), colours[i % len(colours)])
        draw = ImageDraw.Draw(img)
        draw.rectangle((40, 40, 760, 560), outline=(255, 255, 255), width=8)
        draw.text((80, 280), f"Foto bukti lapangan #{i + 1}", fill=(255, 255, 255))
        path = folder / f"bukti-{i + 1}.jpg"
        img.save(path, "JPEG", quality=80)
        paths.append(path)
    return paths


def _principal(u: User) -> Principal:
    return Principal(u.id, u.username, u.role, u.agency_id, u.language, uuid.uuid4())


async def seed_demo_city(db: AsyncSession, ctx: DemoContext) -> int:
    if (await db.execute(select(func.count()).select_from(Case))).scalar_one() > 0:
        return 0
    rng = random.Random(112)
    now = ctx.now
    users = {u.username: u for u in (await db.execute(select(User))).scalars()}
    operator, dispatcher = _principal(users["operator"]), _principal(users["dispatcher"])
    cats = [c for c in (await db.execute(select(Category).where(Category.active))).scalars()]
    weights = [CATEGORY_WEIGHTS.get(c.code, 1) for c in cats]
    areas = list(
        (
            await db.execute(
                select(
                    Area.id,
                    Area.name,
                    func.ST_Y(func.ST_GeomFromWKB(Area.center)),
                    func.ST_X(func.ST_GeomFromWKB(Area.center)),
                )
            )
        ).all()
    )
    teams = list((await db.execute(select(Team).where(Team.on_duty))).scalars())
    members: dict[int, list[User]] = {}
    for tid, uid in await db.execute(select(team_members.c.team_id, team_members.c.user_id)):
        members.setdefault(tid, []).append(next(u for u in users.values() if u.id == uid))
    by_agency: dict[int, list[Team]] = {}
    for team in teams:
        if members.get(team.id):
            by_agency.setdefault(team.agency_id, []).append(team)
    states = list(STATES)
    state_weights = [STATES[s] for s in states]
    made: list[Case] = []
    with tempfile.TemporaryDirectory() as tmp:
        photos = _evidence_photos(Path(tmp))
        for _ in range(ctx.cases):
            target = rng.choices(states, state_weights)[0]
            cat = rng.choices(cats, weights)[0]
            if not by_agency.get(cat.agency_id):
                target = "new"
            _, _, clat, clon = rng.choice(areas)
            lat = clat + rng.uniform(-0.008, 0.008)
            lon = clon + rng.uniform(-0.008, 0.008)
            # Open work is recent; finished work spreads over the week.
            spread = 10 if target == "new" or target in IN_FIELD else 7 * 24 * 60
            t = now - timedelta(minutes=rng.randint(3, spread))
            number = f"+62812{rng.randint(10_000_000, 99_999_999)}"
            call = await log_call(
                db,
                CallIn(
                    number=number,
                    channel="phone",
                    started_at=t,
                    duration_s=rng.randint(40, 300),
                    call_class="valid",
                ),
                operator.user_id,
            )
            t += timedelta(seconds=rng.randint(40, 120))
            created = await svc.create_case(
                db,
                ctx.settings,
                svc.NewCase(
                    category_id=cat.id,
                    lat=lat,
                    lon=lon,
                    description=DESCRIPTIONS.get(cat.code, cat.name_id + "."),
                    address=f"{rng.choice(STREETS)} No. {rng.randint(1, 200)}",
                    landmark=rng.choice(LANDMARKS),
                    call_id=call.id,
                    allow_out_of_area=True,
                ),
                now=t,
                actor_id=operator.user_id,
            )
            case = created.case
            made.append(case)
            if target == "new":
                continue
            if target in VOID:
                t += timedelta(minutes=rng.randint(1, 20))
                if target == "duplicate" and len(made) > 1:
                    parent = next(
                        (
                            c
                            for c in reversed(made[:-1])
                            if c.status not in VOID and c.agency_id == case.agency_id
                        ),
                        None,
                    )
                    if parent is not None:
                        await svc.merge(
                            db, dispatcher, case.id, parent.id, None, "Laporan yang sama", t
                        )
                        continue
                action: Action = "cancel" if target == "cancelled" else "invalid"
                await svc.act(
                    db,
                    dispatcher,
                    case.id,
                    svc.Move(
                        action=action,
                        note=rng.choice(NOTES[target if target != "duplicate" else "invalid"]),
                    ),
                    t,
                )
                continue
            team = rng.choice(by_agency[case.agency_id])
            officer = _principal(rng.choice(members[team.id]))
            t += timedelta(minutes=rng.randint(1, 8))
            await svc.act(db, dispatcher, case.id, svc.Move(action="assign", team_id=team.id), t)
            if target == "returned":
                t += timedelta(minutes=rng.randint(5, 40))
                await svc.act(
                    db,
                    officer,
                    case.id,
                    svc.Move(action="return", note=rng.choice(NOTES["returned"])),
                    t,
                )
                continue
            stop = PATH.index("closed" if target == "reopened" else target)
            for step in PATH[1 : stop + 1]:
                t += timedelta(minutes=rng.randint(2, 25))
                if step == "resolved":
                    if cat.photo_required:
                        await store_photos(
                            db,
                            ctx.storage,
                            ctx.settings,
                            case_id=case.id,
                            files=[PhotoFile(rng.choice(photos))],
                            source="team",
                            now=t,
                            uploaded_by_id=officer.user_id,
                            team_id=team.id,
                            caption="Foto bukti penanganan",
                        )
                    await svc.act(
                        db,
                        officer,
                        case.id,
                        svc.Move(action="resolve", note=rng.choice(NOTES["resolved"])),
                        t,
                    )
                elif step == "closed":
                    t += timedelta(minutes=rng.randint(10, 120))
                    await svc.act(db, dispatcher, case.id, svc.Move(action="close"), t)
                else:
                    await svc.act(db, officer, case.id, svc.Move(action=FIELD_STEP[step]), t)
            if target == "reopened":
                t += timedelta(hours=rng.randint(1, 12))
                await svc.act(
                    db,
                    _principal(users["supervisor"]),
                    case.id,
                    svc.Move(action="reopen", note=rng.choice(NOTES["reopened"])),
                    t,
                )
        # The calls that never became cases: about a quarter of the line, as in Kendari.
        for cls, n in CALL_MIX.items():
            for _ in range(n * ctx.cases // 100):
                t = now - timedelta(minutes=rng.randint(1, 7 * 24 * 60))
                number = f"+62813{rng.randint(10_000_000, 99_999_999)}"
                db.add(
                    Call(
                        number=number,
                        channel="phone",
                        started_at=t,
                        duration_s=rng.randint(2, 9) if cls == "ghost" else rng.randint(15, 240),
                        call_class=cls,
                        operator_id=operator.user_id,
                        notes="",
                    )
                )
        # On-duty teams were last seen in their districts a few minutes ago.
        for team in teams:
            _, _, clat, clon = rng.choice(areas)
            team.last_position = svc.ewkt(
                clon + rng.uniform(-0.01, 0.01), clat + rng.uniform(-0.01, 0.01)
            )
            team.last_position_at = now - timedelta(minutes=rng.randint(0, 8))
            team.last_accuracy_m = float(rng.randint(5, 40))
        await db.flush()
    return len(made)
