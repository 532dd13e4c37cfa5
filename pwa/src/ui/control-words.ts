/**
 * The control room's words for the caller's network location (AML), the tracking code by SMS,
 * the hand-off to a neighbouring region and the dispatch map's warning layers, in Bahasa
 * Indonesia (default) and English. They load with the operator's and the dispatcher's chunks
 * (`registerWords`), never with the field app's first screen; `ControlKey` is part of `Key`, and the English table must have exactly the
 * Indonesian keys.
 */
import { registerWords } from "../lib/i18n";

const id = {
  "intake.aml_title": "Lokasi penelepon dari jaringan (AML)",
  "intake.aml_fix": "±{r} · {method} · {age}",
  "intake.aml_method.gnss": "GPS",
  "intake.aml_method.wifi": "Wi-Fi",
  "intake.aml_method.cell": "BTS seluler",
  "intake.aml_method.unknown": "metode tidak diketahui",
  "intake.aml_use": "Pakai lokasi AML",
  "sms.send": "Kirim kode lacak lewat SMS",
  "sms.resend": "Kirim ulang SMS",
  "sms.language": "Bahasa SMS",
  "sms.pending": "SMS kode lacak sedang dikirim…",
  "sms.sent": "SMS kode lacak terkirim pukul {at}.",
  "sms.failed":
    "SMS kode lacak gagal terkirim setelah {n} percobaan. Bacakan kodenya, atau kirim ulang.",
  "sms.offline": "Tidak tersambung. Coba kirim lagi.",
  "handoff.outside_title": "Di luar wilayah kota",
  "handoff.outside_in": "Di luar {city}: lokasi ini berada di {neighbour}.",
  "handoff.outside_nowhere":
    "Di luar {city}: lokasi ini tidak berada di wilayah tetangga yang terdaftar.",
  "handoff.contact_112": "Kontak 112",
  "handoff.phone": "Telepon",
  "handoff.email": "Surel",
  "handoff.radio": "Radio",
  "handoff.no_contact": "Kontak ruang kendali wilayah ini belum diisi admin.",
  "handoff.approximate": "Batas wilayah ini hanya perkiraan.",
  "handoff.note": "Catatan serah terima",
  "handoff.transfer": "Serahkan ke {neighbour}",
  "handoff.done": "Diserahkan ke {neighbour}.",
  "handoff.download": "Unduh dokumen serah terima (JSON)",
  // A WhatsApp or SMS conversation on the intake screen (operator/intake-conversation.tsx).
  "conv.title": "Percakapan WhatsApp/SMS",
  "conv.channel": "pesan WhatsApp/SMS",
  "conv.in": "Warga",
  "conv.out": "Operator",
  "conv.photo": "Foto terlampir",
  "conv.location": "Lokasi dibagikan",
  "conv.reply": "Balasan",
  "conv.send": "Kirim balasan",
  "conv.tracking": "Kirim kode lacak ke percakapan ini",
  "conv.status.pending": "mengirim…",
  "conv.status.sent": "terkirim",
  "conv.status.delivered": "diterima",
  "conv.status.read": "dibaca",
  "conv.status.failed": "gagal",
  "dispatch.legend_warning": "Peringatan wilayah yang berlaku (garis merah putus-putus)",
  "dispatch.legend_cap": "Peringatan diterima lewat CAP (garis oranye bertitik)",
  "dispatch.warning_layers": "Peringatan di peta",
  "dispatch.warning_until": "berlaku sampai {time}",
  "dispatch.reissue": "Terbitkan ulang sebagai peringatan kota",
  "dispatch.reissue_note": "Menjadi draf: orang kedua harus menyetujuinya sebelum terbit.",
};

export type ControlKey = keyof typeof id;

const en: Record<ControlKey, string> = {
  "intake.aml_title": "Caller location from the network (AML)",
  "intake.aml_fix": "±{r} · {method} · {age}",
  "intake.aml_method.gnss": "GPS",
  "intake.aml_method.wifi": "Wi-Fi",
  "intake.aml_method.cell": "cell tower",
  "intake.aml_method.unknown": "unknown method",
  "intake.aml_use": "Use AML location",
  "sms.send": "Send the tracking code by SMS",
  "sms.resend": "Send the SMS again",
  "sms.language": "SMS language",
  "sms.pending": "Sending the tracking code by SMS…",
  "sms.sent": "Tracking code SMS sent at {at}.",
  "sms.failed":
    "The tracking code SMS failed after {n} tries. Read the code out, or send it again.",
  "sms.offline": "No connection. Try sending again.",
  "handoff.outside_title": "Outside the city",
  "handoff.outside_in": "Outside {city}: this location is in {neighbour}.",
  "handoff.outside_nowhere":
    "Outside {city}: this location is in no registered neighbouring region.",
  "handoff.contact_112": "112 contact",
  "handoff.phone": "Phone",
  "handoff.email": "Email",
  "handoff.radio": "Radio",
  "handoff.no_contact": "An admin has not filled in this region's control room contacts yet.",
  "handoff.approximate": "This region's boundary is only approximate.",
  "handoff.note": "Hand-off note",
  "handoff.transfer": "Transfer to {neighbour}",
  "handoff.done": "Handed to {neighbour}.",
  "handoff.download": "Download the hand-off document (JSON)",
  "conv.title": "WhatsApp/SMS conversation",
  "conv.channel": "WhatsApp/SMS message",
  "conv.in": "Citizen",
  "conv.out": "Operator",
  "conv.photo": "Photo attached",
  "conv.location": "Location shared",
  "conv.reply": "Reply",
  "conv.send": "Send reply",
  "conv.tracking": "Send the tracking code to this conversation",
  "conv.status.pending": "sending…",
  "conv.status.sent": "sent",
  "conv.status.delivered": "delivered",
  "conv.status.read": "read",
  "conv.status.failed": "failed",
  "dispatch.legend_warning": "Area warning in force (dashed red outline)",
  "dispatch.legend_cap": "Alert received by CAP (dotted orange outline)",
  "dispatch.warning_layers": "Warnings on the map",
  "dispatch.warning_until": "in force until {time}",
  "dispatch.reissue": "Re-issue as a city warning",
  "dispatch.reissue_note":
    "It becomes a draft: a second person must approve it before it goes out.",
};

registerWords({ id, en });
