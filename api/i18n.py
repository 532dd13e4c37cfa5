"""The message catalog (Bahasa Indonesia by default, English) and language negotiation.

Every user-visible string of the API goes through :func:`t`; a stable ``code`` names each one.
"""

from __future__ import annotations

LANGUAGES = ("id", "en")
DEFAULT_LANGUAGE = "id"

CATALOG: dict[str, dict[str, str]] = {
    # generic
    "validation_failed": {
        "id": "Data yang dikirim tidak valid.",
        "en": "The submitted data is not valid.",
    },
    "not_found": {"id": "Data tidak ditemukan.", "en": "Not found."},
    "route_not_found": {"id": "Alamat tidak ditemukan.", "en": "No such address."},
    "method_not_allowed": {"id": "Metode tidak diizinkan.", "en": "Method not allowed."},
    "conflict": {
        "id": "Data bertentangan dengan data yang sudah ada.",
        "en": "This conflicts with existing data.",
    },
    "already_exists": {
        "id": "{what} dengan kode/nama itu sudah ada.",
        "en": "A {what} with that code or name already exists.",
    },
    "in_use": {
        "id": "{what} masih dipakai dan tidak dapat dihapus.",
        "en": "This {what} is still in use and cannot be deleted.",
    },
    "unknown_reference": {
        "id": "{field} merujuk ke data yang tidak ada.",
        "en": "{field} refers to something that does not exist.",
    },
    "internal_error": {
        "id": "Terjadi kesalahan pada server. Silakan coba lagi.",
        "en": "Something went wrong on the server. Please try again.",
    },
    "service_unavailable": {
        "id": "Layanan sedang tidak tersedia. Silakan coba lagi sebentar lagi.",
        "en": "The service is unavailable right now. Please try again shortly.",
    },
    "body_too_large": {"id": "Kiriman terlalu besar.", "en": "The request is too large."},
    "rate_limited": {
        "id": "Terlalu banyak permintaan. Coba lagi dalam {retry_after} detik.",
        "en": "Too many requests. Try again in {retry_after} seconds.",
    },
    # auth
    "not_authenticated": {
        "id": "Silakan masuk terlebih dahulu.",
        "en": "Please sign in first.",
    },
    "token_invalid": {
        "id": "Sesi tidak valid atau sudah berakhir. Silakan masuk kembali.",
        "en": "Your session is invalid or has ended. Please sign in again.",
    },
    "invalid_credentials": {
        "id": "Nama pengguna atau kata sandi salah.",
        "en": "Wrong username or password.",
    },
    "login_rate_limited": {
        "id": "Terlalu banyak percobaan masuk. Coba lagi dalam {retry_after} detik.",
        "en": "Too many sign-in attempts. Try again in {retry_after} seconds.",
    },
    "forbidden": {
        "id": "Anda tidak berwenang melakukan ini.",
        "en": "You are not allowed to do this.",
    },
    "case_not_found": {"id": "Kasus tidak ditemukan.", "en": "Case not found."},
    # admin
    "agency_required": {
        "id": "Koordinator dan petugas lapangan harus terdaftar pada satu OPD.",
        "en": "Coordinators and field officers must belong to one agency.",
    },
    "team_member_wrong_agency": {
        "id": "Anggota tim harus dari OPD yang sama dengan tim.",
        "en": "Team members must belong to the team's agency.",
    },
    "sla_order": {
        "id": "Target SLA harus berurutan: terima ≤ tiba ≤ selesai.",
        "en": "SLA targets must be ordered: accept ≤ arrive ≤ resolve.",
    },
    "invalid_geometry": {
        "id": "Geometri tidak valid: {detail}",
        "en": "Invalid geometry: {detail}",
    },
    "invalid_phone": {
        "id": "Nomor telepon tidak valid.",
        "en": "The phone number is not valid.",
    },
    "cannot_delete_self": {
        "id": "Anda tidak dapat menonaktifkan akun Anda sendiri.",
        "en": "You cannot deactivate your own account.",
    },
}


def negotiate(accept_language: str | None, default: str = DEFAULT_LANGUAGE) -> str:
    """Pick ``id`` or ``en`` from an Accept-Language header, honouring q-values."""
    if not accept_language:
        return default
    best, best_q = default, -1.0
    for i, part in enumerate(accept_language.split(",")):
        pieces = part.strip().split(";")
        tag = pieces[0].strip().lower().split("-")[0]
        q = 1.0
        for p in pieces[1:]:
            p = p.strip()
            if p.startswith("q="):
                try:
                    q = float(p[2:])
                except ValueError:
                    q = 0.0
        if q <= 0:  # q=0 means "not acceptable"
            continue
        # Earlier tags win ties, as browsers list them in preference order.
        q -= i * 1e-6
        if tag in LANGUAGES and q > best_q:
            best, best_q = tag, q
    return best


def t(code: str, lang: str = DEFAULT_LANGUAGE, **params: object) -> str:
    entry = CATALOG.get(code)
    if entry is None:
        return code
    text = entry.get(lang) or entry[DEFAULT_LANGUAGE]
    try:
        return text.format(**params)
    except (KeyError, IndexError):
        return text
