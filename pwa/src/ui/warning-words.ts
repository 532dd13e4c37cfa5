/**
 * The area warnings' words (docs/warnings.md), in Bahasa Indonesia (default) and English. They
 * load with the citizen and dispatch chunks (`registerWords`), not with the first screen;
 * `WarningKey` is part of `Key`, and the English table must have exactly the Indonesian keys.
 */
import { registerWords } from "../lib/i18n";

const id = {
  "warning.title": "Peringatan",
  "warning.where_until": "Wilayah: {area} · berlaku sampai {time}",
  "warning.optin_label": "Beri tahu saya peringatan untuk kecamatan saya",
  "warning.optin_pick": "Pilih kecamatan",
  "warning.optin_button": "Beri tahu saya",
  "warning.subscribed": "Anda akan menerima peringatan untuk kecamatan ini di perangkat ini.",
  "warning.subscribe_failed": "Tidak dapat berlangganan peringatan: {detail}",
  "warning.cap_incoming": "Peringatan diterima dari {sender}",
} as const;

export type WarningKey = keyof typeof id;

const en: Record<WarningKey, string> = {
  "warning.title": "Warning",
  "warning.where_until": "Area: {area} · in force until {time}",
  "warning.optin_label": "Notify me of warnings for my kecamatan",
  "warning.optin_pick": "Pick a kecamatan",
  "warning.optin_button": "Notify me",
  "warning.subscribed": "This device will receive warnings for this kecamatan.",
  "warning.subscribe_failed": "Could not subscribe to warnings: {detail}",
  "warning.cap_incoming": "Alert received from {sender}",
};

registerWords({ id, en });
