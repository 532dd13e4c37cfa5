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
    # Problem titles: a short summary per HTTP status, in the caller's language (the code and
    # detail say what exactly went wrong).
    "title_400": {"id": "Permintaan tidak valid", "en": "Bad request"},
    "title_401": {"id": "Belum masuk", "en": "Not signed in"},
    "title_403": {"id": "Tidak diizinkan", "en": "Forbidden"},
    "title_404": {"id": "Tidak ditemukan", "en": "Not found"},
    "title_405": {"id": "Metode tidak diizinkan", "en": "Method not allowed"},
    "title_408": {"id": "Waktu habis", "en": "Request timeout"},
    "title_409": {"id": "Konflik", "en": "Conflict"},
    "title_410": {"id": "Sudah tidak tersedia", "en": "Gone"},
    "title_412": {"id": "Versi tidak cocok", "en": "Precondition failed"},
    "title_413": {"id": "Kiriman terlalu besar", "en": "Request too large"},
    "title_415": {"id": "Jenis kiriman tidak didukung", "en": "Unsupported media type"},
    "title_422": {"id": "Tidak dapat diproses", "en": "Unprocessable request"},
    "title_423": {"id": "Terkunci", "en": "Locked"},
    "title_425": {"id": "Terlalu cepat", "en": "Too early"},
    "title_428": {"id": "Versi diperlukan", "en": "Precondition required"},
    "title_429": {"id": "Terlalu banyak permintaan", "en": "Too many requests"},
    "title_500": {"id": "Kesalahan server", "en": "Server error"},
    "title_503": {"id": "Layanan tidak tersedia", "en": "Service unavailable"},
    # limits and secrets (docs/security.md): credentials never in a URL; uploads in bounds
    "credentials_in_query": {
        "id": "Jangan kirim {param} di alamat (URL). Kirim lewat header atau isi permintaan.",
        "en": "Do not send {param} in the address (URL). Send it in a header or the body.",
    },
    "caller_number_required": {
        "id": "Kirim nomor penelepon di header X-Caller-Number.",
        "en": "Send the caller's number in the X-Caller-Number header.",
    },
    "uploads_busy": {
        "id": "Terlalu banyak unggahan foto saat ini. Coba lagi dalam {retry_after} detik.",
        "en": "Too many photo uploads right now. Try again in {retry_after} seconds.",
    },
    "event_ticket_invalid": {
        "id": "Tiket siaran langsung tidak valid atau sudah dipakai. Minta tiket baru.",
        "en": "The live-stream ticket is invalid or already used. Ask for a new one.",
    },
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
    # security alerts for admins (GET /api/admin/security-alerts)
    "security_alert_login_failures": {
        "id": "{failures} kali salah kata sandi untuk akun {username} dalam {minutes} menit, "
        "dari berbagai alamat. Akun tidak dikunci: pastikan pemiliknya memakai kata sandi kuat.",
        "en": "{failures} wrong passwords for the account {username} within {minutes} minutes, "
        "from many addresses. The account is not locked: make sure its owner has a strong "
        "password.",
    },
    "forbidden": {
        "id": "Anda tidak berwenang melakukan ini.",
        "en": "You are not allowed to do this.",
    },
    # /metrics: loopback only, or the metrics token (TANGGAP_METRICS_TOKEN)
    "metrics_forbidden": {
        "id": "Metrik hanya dapat dibaca dari server ini atau dengan token metrik.",
        "en": "Metrics can only be read from this server or with the metrics token.",
    },
    "case_not_found": {"id": "Kasus tidak ditemukan.", "en": "Case not found."},
    # cases and the lifecycle
    "transition_not_allowed": {
        "id": "Tindakan ini tidak dapat dilakukan pada kasus berstatus {current}.",
        "en": "This action is not possible while the case is {current}.",
    },
    "note_required": {
        "id": "Catatan atau alasan wajib diisi untuk tindakan ini.",
        "en": "A note or reason is required for this action.",
    },
    "photo_required": {
        "id": "Kategori ini memerlukan minimal satu foto dari tim sebelum diselesaikan.",
        "en": "This category needs at least one photo from the team before it is resolved.",
    },
    "team_required": {"id": "Pilih tim terlebih dahulu.", "en": "Choose a team first."},
    "team_wrong_agency": {
        "id": "Tim harus dari OPD yang menangani kasus ini.",
        "en": "The team must belong to the agency handling this case.",
    },
    "agency_required_for_transfer": {
        "id": "Pilih OPD tujuan pengalihan.",
        "en": "Choose the agency to transfer to.",
    },
    "transfer_same_agency": {
        "id": "Kasus sudah ditangani OPD tersebut.",
        "en": "The case is already with that agency.",
    },
    "unknown_action": {"id": "Tindakan tidak dikenal.", "en": "Unknown action."},
    "version_conflict": {
        "id": "Kasus telah diubah oleh orang lain. Muat ulang lalu coba lagi.",
        "en": "Someone else changed this case. Reload and try again.",
    },
    "version_required": {
        "id": "Versi kasus wajib dikirim untuk tindakan ini.",
        "en": "The case version is required for this action.",
    },
    "already_assigned": {
        "id": "Kasus sudah ditugaskan ke tim itu.",
        "en": "The case is already assigned to that team.",
    },
    "merge_into_itself": {
        "id": "Kasus tidak dapat digabung ke dirinya sendiri.",
        "en": "A case cannot be merged into itself.",
    },
    "merge_target_closed": {
        "id": "Kasus tujuan penggabungan sudah dibatalkan, tidak valid, atau duplikat.",
        "en": "The case to merge into is cancelled, invalid or itself a duplicate.",
    },
    "unknown_category": {"id": "Kategori tidak dikenal.", "en": "Unknown category."},
    "invalid_coordinates": {"id": "Koordinat tidak valid.", "en": "Invalid coordinates."},
    "out_of_service_area": {
        "id": "Lokasi berada di luar wilayah layanan {city}.",
        "en": "The location is outside {city}'s service area.",
    },
    "invalid_cursor": {"id": "Penanda halaman tidak valid.", "en": "Invalid page cursor."},
    "invalid_status_filter": {"id": "Filter status tidak valid.", "en": "Invalid status filter."},
    "invalid_priority_filter": {
        "id": "Filter prioritas tidak valid.",
        "en": "Invalid priority filter.",
    },
    "invalid_time_range": {
        "id": "Rentang waktu tidak valid: awal harus sebelum akhir.",
        "en": "Invalid time range: the start must come before the end.",
    },
    "invalid_bbox": {
        "id": "Batas peta tidak valid (min_lon,min_lat,max_lon,max_lat).",
        "en": "Invalid bounding box (min_lon,min_lat,max_lon,max_lat).",
    },
    "invalid_if_match": {"id": "Header If-Match tidak valid.", "en": "Invalid If-Match header."},
    "idempotency_key_invalid": {
        "id": "Idempotency-Key tidak valid (8-80 karakter).",
        "en": "Invalid Idempotency-Key (8-80 characters).",
    },
    "idempotency_key_reused": {
        "id": "Idempotency-Key ini sudah dipakai untuk permintaan lain.",
        "en": "This Idempotency-Key was already used for a different request.",
    },
    # calls
    "call_not_found": {"id": "Panggilan tidak ditemukan.", "en": "Call not found."},
    "call_ends_before_start": {
        "id": "Panggilan tidak dapat berakhir sebelum dimulai.",
        "en": "A call cannot end before it starts.",
    },
    "call_in_future": {
        "id": "Waktu panggilan tidak boleh di masa depan.",
        "en": "A call cannot start in the future.",
    },
    "webhook_signature_invalid": {
        "id": "Tanda tangan webhook tidak valid.",
        "en": "Invalid webhook signature.",
    },
    "webhook_stale": {
        "id": "Permintaan webhook kedaluwarsa.",
        "en": "The webhook request is too old.",
    },
    "webhook_replayed": {
        "id": "Permintaan webhook ini sudah diterima sebelumnya.",
        "en": "This webhook request was already received.",
    },
    # teams
    "not_team_member": {
        "id": "Anda bukan anggota tim ini.",
        "en": "You are not a member of this team.",
    },
    "team_off_duty": {
        "id": "Tim sedang tidak bertugas; posisi tidak dicatat.",
        "en": "The team is off duty; positions are not recorded.",
    },
    "position_too_old": {
        "id": "Posisi terlalu lama untuk dicatat.",
        "en": "The position is too old to record.",
    },
    # photos (api.routes.photos)
    "photo_missing": {
        "id": "Tidak ada foto yang dikirim.",
        "en": "No photo was sent.",
    },
    "photo_too_large": {
        "id": "Foto terlalu besar (maksimal {max_mb} MB per foto).",
        "en": "A photo is too large (at most {max_mb} MB each).",
    },
    "too_many_photos": {
        "id": "Terlalu banyak foto (maksimal {max_files} per kiriman).",
        "en": "Too many photos (at most {max_files} per upload).",
    },
    "photo_type_unsupported": {
        "id": "Berkas ini bukan foto JPEG, PNG, WebP atau HEIC.",
        "en": "This file is not a JPEG, PNG, WebP or HEIC photo.",
    },
    "photo_too_many_pixels": {
        "id": "Resolusi foto terlalu besar (maksimal {max_mp} megapiksel).",
        "en": "The photo has too many pixels (at most {max_mp} megapixels).",
    },
    "photo_corrupt": {
        "id": "Foto rusak atau tidak lengkap. Silakan ambil ulang atau kirim ulang.",
        "en": "The photo is damaged or incomplete. Please take or send it again.",
    },
    "photo_trailing_data": {
        "id": "Berkas foto berisi data tambahan setelah gambarnya dan ditolak.",
        "en": "The photo file has extra data after the image and was refused.",
    },
    "photo_active_content": {
        "id": "Metadata foto berisi kode atau markup dan ditolak.",
        "en": "The photo's metadata contains code or markup and was refused.",
    },
    "multipart_required": {
        "id": "Kirim foto sebagai multipart/form-data.",
        "en": "Send the photos as multipart/form-data.",
    },
    "multipart_invalid": {
        "id": "Kiriman multipart tidak valid atau terputus.",
        "en": "The multipart upload is invalid or incomplete.",
    },
    "upload_field_unknown": {
        "id": "Kolom tidak dikenal dalam kiriman: {field}.",
        "en": "Unknown field in the upload: {field}.",
    },
    "upload_field_too_long": {
        "id": "Kolom {field} terlalu panjang.",
        "en": "The field {field} is too long.",
    },
    "event_not_in_case": {
        "id": "Kejadian yang dirujuk bukan bagian dari kasus ini.",
        "en": "The referenced event does not belong to this case.",
    },
    "photo_upload_forbidden": {
        "id": "Hanya tim yang ditugaskan, koordinator OPD dan ruang kendali yang dapat "
        "menambahkan foto pada kasus ini.",
        "en": "Only the assigned team, the agency coordinator and the control room may add "
        "photos to this case.",
    },
    "photo_not_found": {"id": "Foto tidak ditemukan.", "en": "Photo not found."},
    "photo_original_forbidden": {
        "id": "Anda tidak berwenang melihat foto asli.",
        "en": "You are not allowed to see the original photo.",
    },
    "storage_unavailable": {
        "id": "Penyimpanan foto sedang tidak tersedia. Silakan coba lagi sebentar lagi.",
        "en": "Photo storage is unavailable right now. Please try again shortly.",
    },
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
    # Gazetteer search: at least two letters, so one keystroke does not list the whole city.
    "query_too_short": {
        "id": "Ketik sedikitnya 2 huruf untuk mencari.",
        "en": "Type at least 2 letters to search.",
    },
    # Gazetteer (admin places): a name can be used once per kind.
    "place_exists": {
        "id": "Tempat dengan nama dan jenis itu sudah ada.",
        "en": "A place with that name and kind already exists.",
    },
    "invalid_geometry": {
        "id": "Geometri tidak valid: {detail}",
        "en": "Invalid geometry: {detail}",
    },
    "invalid_phone": {
        "id": "Nomor telepon tidak valid.",
        "en": "The phone number is not valid.",
    },
    "routing_rule_empty": {
        "id": "Aturan wilayah harus menentukan OPD atau tim.",
        "en": "An area rule must name an agency or a team.",
    },
    "cannot_delete_self": {
        "id": "Anda tidak dapat menonaktifkan akun Anda sendiri.",
        "en": "You cannot deactivate your own account.",
    },
    # push (api.routes.push) and push texts (api.domain.notifications)
    "push_subscription_invalid": {
        "id": "Langganan notifikasi tidak valid: {reason_id}",
        "en": "The push subscription is not valid: {reason_en}",
    },
    # why a push subscription is refused (the {reason_*} above), and the subscription limits
    "push_invalid_endpoint": {
        "id": "alamatnya bukan layanan push yang diizinkan (Firebase, Mozilla, Apple, Windows).",
        "en": "the address is not an allowed push service (Firebase, Mozilla, Apple, Windows).",
    },
    "push_invalid_keys": {
        "id": "kunci enkripsinya tidak valid.",
        "en": "its encryption keys are not valid.",
    },
    "push_subscriptions_full": {
        "id": "Sudah ada {max} perangkat yang menerima notifikasi ini. Hapus salah satu dulu.",
        "en": "{max} devices already receive these notifications. Remove one first.",
    },
    "push_rate_limited": {
        "id": "Terlalu banyak permintaan notifikasi. Coba lagi dalam {retry_after} detik.",
        "en": "Too many notification requests. Try again in {retry_after} seconds.",
    },
    "push_subscription_not_found": {
        "id": "Langganan notifikasi tidak ditemukan.",
        "en": "No such push subscription.",
    },
    "tracking_token_invalid": {
        "id": "Kode pelacakan tidak dikenal.",
        "en": "Unknown tracking token.",
    },
    "push_assigned_title": {"id": "Kasus baru untuk tim Anda", "en": "New case for your team"},
    "push_new_p1_title": {"id": "Kasus darurat P1 baru", "en": "New P1 emergency case"},
    "push_reopened_title": {
        "id": "Kasus dibuka kembali: warga menyanggah penyelesaian",
        "en": "Case reopened: the resolution was disputed",
    },
    "push_sla_title": {"id": "Batas waktu {stage} terlewati", "en": "{stage} deadline missed"},
    "push_sla_stage_accept": {"id": "penerimaan", "en": "Acceptance"},
    "push_sla_stage_arrive": {"id": "kedatangan", "en": "Arrival"},
    "push_sla_stage_resolve": {"id": "penyelesaian", "en": "Resolution"},
    "push_status_title": {"id": "Laporan {reference}", "en": "Report {reference}"},
    "push_status_body": {
        "id": "Status laporan Anda kini: {status}.",
        "en": "Your report is now: {status}.",
    },
    # statistics and exports
    "stats_period_conflict": {
        "id": "Pilih satu periode saja: month, week, day, atau from/to.",
        "en": "Give one period only: month, week, day, or from/to.",
    },
    "stats_period_order": {
        "id": "Tanggal awal (from) tidak boleh sesudah tanggal akhir (to).",
        "en": "The start date (from) must not be after the end date (to).",
    },
    "stats_period_too_long": {
        "id": "Periode paling panjang {max_days} hari.",
        "en": "A period can be at most {max_days} days long.",
    },
    "stats_period_out_of_range": {
        "id": "Tanggal harus antara tahun {first} dan {last}.",
        "en": "Dates must fall between the years {first} and {last}.",
    },
    "stats_month_invalid": {
        "id": "Bulan tidak valid: gunakan format TTTT-BB (misalnya 2025-11).",
        "en": "Invalid month: use YYYY-MM (e.g. 2025-11).",
    },
    "stats_week_invalid": {
        "id": "Minggu tidak valid: gunakan format ISO TTTT-Wmm (misalnya 2025-W45).",
        "en": "Invalid week: use the ISO format YYYY-Www (e.g. 2025-W45).",
    },
    "stats_month_required": {
        "id": "Laporan bulanan hanya untuk satu bulan: gunakan month=TTTT-BB.",
        "en": "The monthly report covers one month: use month=YYYY-MM.",
    },
    "report_title": {
        "id": "Laporan Bulanan Call Center 112 {city}",
        "en": "{city} Call Center 112 monthly report",
    },
    "report_subtitle": {
        "id": "{first} s.d. {last} · waktu {tz}",
        "en": "{first} to {last} · {tz} time",
    },
    "report_months": {
        "id": "Januari Februari Maret April Mei Juni Juli Agustus September Oktober November "
        "Desember",
        "en": "January February March April May June July August September October November "
        "December",
    },
    "report_previous_month": {"id": "Bulan lalu", "en": "Previous month"},
    "report_calls_received": {"id": "Panggilan masuk", "en": "Calls received"},
    "report_calls_valid": {"id": "Panggilan valid", "en": "Valid calls"},
    "report_prank_or_ghost": {
        "id": "Panggilan iseng dan kosong",
        "en": "Prank and ghost calls",
    },
    "report_tickets_created": {"id": "Tiket dibuat", "en": "Tickets created"},
    "report_calls_section": {"id": "Panggilan menurut jenis", "en": "Calls by class"},
    "report_class": {"id": "Jenis", "en": "Class"},
    "report_count": {"id": "Jumlah", "en": "Count"},
    "report_share": {"id": "Persentase", "en": "Share"},
    "report_total": {"id": "Jumlah", "en": "Total"},
    "report_tickets_section": {"id": "Tiket per OPD", "en": "Tickets per agency"},
    "report_agency": {"id": "OPD", "en": "Agency"},
    "report_tickets": {"id": "Tiket", "en": "Tickets"},
    "report_finished_percent": {"id": "% selesai", "en": "% finished"},
    "report_no_tickets": {
        "id": "Tidak ada tiket pada bulan ini.",
        "en": "No tickets this month.",
    },
    "report_response_section": {"id": "Waktu respons dan SLA", "en": "Response times and SLA"},
    "report_median": {"id": "median", "en": "median"},
    "report_sla_compliance": {"id": "Kepatuhan SLA", "en": "SLA compliance"},
    "report_overdue_now": {
        "id": "Tiket melewati batas waktu saat ini",
        "en": "Tickets overdue now",
    },
    "report_rating": {
        "id": "Penilaian warga (rata-rata, 1-5)",
        "en": "Citizen rating (average, 1-5)",
    },
    "report_scope_agency": {"id": "Hanya tiket {agency}", "en": "Tickets of {agency} only"},
    "report_footer": {
        "id": "Status tiket per {as_of}. Waktu dalam zona {tz}. Laporan ini tidak memuat data "
        "pribadi pelapor.",
        "en": "Ticket status as of {as_of}. Times in the {tz} zone. This report holds no "
        "personal data of reporters.",
    },
    "report_minutes": {"id": "{value} menit", "en": "{value} min"},
    "report_hours": {"id": "{value} jam", "en": "{value} h"},
    "metric_dispatch": {"id": "Sampai diteruskan ke tim", "en": "Time to dispatch"},
    "metric_accept": {"id": "Sampai diterima tim", "en": "Time to acceptance"},
    "metric_arrive": {"id": "Sampai tim tiba di lokasi", "en": "Time to arrival on scene"},
    "metric_resolve": {"id": "Sampai selesai ditangani", "en": "Time to resolution"},
    "call_class_valid": {"id": "Valid", "en": "Valid"},
    "call_class_informasi": {"id": "Permintaan informasi", "en": "Information request"},
    "call_class_curhat": {"id": "Curhat", "en": "Venting (curhat)"},
    "call_class_prank": {"id": "Iseng (prank)", "en": "Prank"},
    "call_class_ghost": {"id": "Kosong (ghost call)", "en": "Ghost call"},
    "call_class_wrong_number": {"id": "Salah sambung", "en": "Wrong number"},
    "call_class_unclassified": {"id": "Belum diklasifikasi", "en": "Not classified"},
    # citizens without an account (public reports and tracking)
    "text_too_long": {
        "id": 'Isian "{field}" terlalu panjang (paling banyak {max} karakter).',
        "en": 'The field "{field}" is too long (at most {max} characters).',
    },
    "text_too_short": {
        "id": 'Isian "{field}" terlalu pendek (paling sedikit {min} karakter).',
        "en": 'The field "{field}" is too short (at least {min} characters).',
    },
    "report_rate_limited": {
        "id": "Terlalu banyak laporan dari jaringan ini. Coba lagi dalam {retry_after} detik.",
        "en": "Too many reports from this network. Try again in {retry_after} seconds.",
    },
    "phone_rate_limited": {
        "id": "Terlalu banyak laporan dengan nomor telepon ini. Coba lagi dalam {retry_after} "
        "detik.",
        "en": "Too many reports with this phone number. Try again in {retry_after} seconds.",
    },
    "pin_rate_limited": {
        "id": "Terlalu banyak PIN salah dari alamat ini. Coba lagi dalam "
        "{retry_after} detik, atau gunakan tautan pelacakan.",
        "en": "Too many wrong PINs from this address. Try again in {retry_after} seconds, or "
        "use the tracking link.",
    },
    "reporter_flagged": {
        "id": "Nomor ini sedang ditandai karena panggilan iseng berulang, sehingga laporan belum "
        "dapat diterima. Untuk keadaan darurat, hubungi 112.",
        "en": "This number is flagged for repeated prank calls, so the report cannot be accepted "
        "now. In an emergency, call 112.",
    },
    "tracking_token_required": {
        "id": "Sertakan kode pelacakan laporan (atau nomor telepon pelapor dan PIN).",
        "en": "Give the report's tracking token (or the reporter's phone number and PIN).",
    },
    "case_not_followable": {
        "id": "Laporan ini sudah tidak aktif dan tidak dapat diikuti. Silakan buat laporan baru.",
        "en": "This report is no longer active and cannot be followed. Please file a new one.",
    },
    "rating_not_allowed": {
        "id": "Penilaian dapat diberikan setelah laporan selesai ditangani.",
        "en": "You can rate the service once the report has been resolved.",
    },
    "already_rated": {
        "id": "Anda sudah memberi penilaian untuk laporan ini.",
        "en": "You have already rated this report.",
    },
    # Privacy (docs/security.md): followers see status only; the reporter disputes once.
    "rating_followers_cannot": {
        "id": "Hanya pelapor asli yang dapat memberi penilaian; pengikut hanya menerima kabar "
        "status.",
        "en": "Only the original reporter can rate; followers receive status updates only.",
    },
    "dispute_followers_cannot": {
        "id": "Hanya pelapor asli yang dapat mengajukan sanggahan.",
        "en": "Only the original reporter can dispute the resolution.",
    },
    "dispute_already_made": {
        "id": "Anda sudah pernah mengajukan sanggahan untuk laporan ini.",
        "en": "You have already disputed this report once.",
    },
    "dispute_window_closed": {
        "id": "Batas waktu sanggahan ({days} hari setelah selesai) sudah lewat.",
        "en": "The time to dispute ({days} days after resolution) has passed.",
    },
    "dispute_not_allowed": {
        "id": "Sanggahan dapat diajukan setelah laporan dinyatakan selesai.",
        "en": "A resolution can be disputed only once the report is marked resolved.",
    },
    "too_many_citizen_photos": {
        "id": "Paling banyak {max} foto dari warga untuk satu laporan.",
        "en": "At most {max} photos from citizens per report.",
    },
    "attribute_required": {
        "id": 'Pertanyaan "{attribute}" wajib dijawab.',
        "en": 'The question "{attribute}" must be answered.',
    },
    "attribute_invalid": {
        "id": 'Jawaban untuk pertanyaan "{attribute}" tidak valid.',
        "en": 'The answer to the question "{attribute}" is not valid.',
    },
    "public_event_created": {"id": "Laporan diterima", "en": "Report received"},
    "public_event_dispatched": {"id": "Diteruskan ke tim lapangan", "en": "Sent to a field team"},
    "public_event_reassigned": {"id": "Dialihkan ke tim lain", "en": "Handed to another team"},
    "public_event_transferred": {
        "id": "Dialihkan ke instansi yang berwenang",
        "en": "Transferred to the responsible agency",
    },
    "public_event_accepted": {"id": "Diterima oleh tim", "en": "Accepted by the team"},
    "public_event_en_route": {"id": "Tim menuju lokasi", "en": "Team on the way"},
    "public_event_on_scene": {"id": "Tim tiba di lokasi", "en": "Team on site"},
    "public_event_resolved": {"id": "Selesai ditangani", "en": "Resolved"},
    "public_event_closed": {"id": "Laporan ditutup", "en": "Report closed"},
    "public_event_returned": {
        "id": "Dikembalikan ke pusat kendali untuk diteruskan ulang",
        "en": "Returned to the control room to be sent again",
    },
    "public_event_merged": {
        "id": "Laporan serupa digabungkan ke laporan ini",
        "en": "A similar report was merged into this one",
    },
    "public_event_duplicate": {
        "id": "Digabungkan dengan laporan lain tentang hal yang sama",
        "en": "Merged into another report of the same problem",
    },
    "public_event_invalid": {"id": "Dinyatakan tidak valid", "en": "Marked not valid"},
    "public_event_cancelled": {"id": "Dibatalkan", "en": "Cancelled"},
    "public_event_reopened": {
        "id": "Dibuka kembali atas sanggahan warga",
        "en": "Reopened after a citizen's dispute",
    },
    "public_event_escalated": {
        "id": "Melewati target waktu layanan",
        "en": "Past its service-time target",
    },
    "public_event_note": {"id": "Catatan petugas ditambahkan", "en": "Staff added a note"},
    "public_event_rated": {"id": "Warga memberi penilaian", "en": "A citizen rated the service"},
    "public_event_reporter_added": {
        "id": "Warga lain melaporkan hal yang sama",
        "en": "Another citizen reported the same problem",
    },
    # Open311 GeoReport v2
    "open311_api_key_missing": {
        "id": "api_key tidak ada: permintaan ini memerlukan kunci API.",
        "en": "Missing api_key: this request needs an API key.",
    },
    "open311_api_key_invalid": {
        "id": "api_key tidak valid atau sudah dicabut.",
        "en": "Invalid or revoked api_key.",
    },
    "open311_format_unknown": {
        "id": 'Format "{format}" tidak dikenal: gunakan .xml atau .json.',
        "en": 'Unknown format "{format}": use .xml or .json.',
    },
    "open311_not_found": {"id": "Sumber daya tidak ditemukan.", "en": "No such resource."},
    "open311_form_required": {
        "id": "Kirim permintaan sebagai application/x-www-form-urlencoded.",
        "en": "Send the request as application/x-www-form-urlencoded.",
    },
    "open311_form_invalid": {
        "id": "Isi formulir tidak dapat dibaca (harus UTF-8 dan urlencoded).",
        "en": "The form body cannot be read (it must be UTF-8 and urlencoded).",
    },
    "open311_service_code_required": {
        "id": "service_code wajib diisi.",
        "en": "service_code is required.",
    },
    "open311_service_code_unknown": {
        "id": 'service_code "{service_code}" tidak dikenal.',
        "en": 'Unknown service_code "{service_code}".',
    },
    "open311_location_required": {
        "id": "lat dan long wajib diisi: server ini tidak mencari lokasi dari alamat.",
        "en": "lat and long are required: this server does not geocode addresses.",
    },
    "open311_coordinate_invalid": {
        "id": "{field} harus berupa angka.",
        "en": "{field} must be a number.",
    },
    "open311_date_invalid": {
        "id": "{field} harus berformat W3C (ISO 8601), misalnya 2010-01-01T00:00:00Z.",
        "en": "{field} must be a W3C (ISO 8601) date, e.g. 2010-01-01T00:00:00Z.",
    },
    "open311_date_range": {
        "id": "end_date tidak boleh sebelum start_date dan rentangnya paling lama {days} hari.",
        "en": "end_date must not precede start_date and the range may span at most {days} days.",
    },
    "open311_status_invalid": {
        "id": "status harus open, closed, atau keduanya dipisah koma.",
        "en": "status must be open, closed, or both separated by a comma.",
    },
    "open311_page_invalid": {
        "id": "page harus 1 atau lebih dan page_size antara 1 dan {max}.",
        "en": "page must be 1 or more and page_size between 1 and {max}.",
    },
    "open311_too_many_ids": {
        "id": "Paling banyak {max} service_request_id sekaligus.",
        "en": "At most {max} service_request_id values at once.",
    },
    "open311_request_not_found": {
        "id": 'Permintaan layanan "{id}" tidak ditemukan.',
        "en": 'Service request "{id}" not found.',
    },
    "open311_token_not_found": {
        "id": "Token tidak dikenal.",
        "en": "Unknown token.",
    },
    "open311_service_description": {
        "id": "{name}. Ditangani oleh {agency}.",
        "en": "{name}. Handled by {agency}.",
    },
    "open311_service_notice": {
        "id": "Diteruskan ke {agency}. Target penyelesaian: {expected}.",
        "en": "Routed to {agency}. Expected to be resolved by {expected}.",
    },
    "open311_contact": {
        "id": "Layanan darurat dan pengaduan 112 {city} (Tanggap 112).",
        "en": "The {city} 112 emergency and complaint line (Tanggap 112).",
    },
    "open311_key_service": {
        "id": "Kunci API diterbitkan oleh administrator Tanggap 112 {city}.",
        "en": "API keys are issued by the {city} Tanggap 112 administrators.",
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
