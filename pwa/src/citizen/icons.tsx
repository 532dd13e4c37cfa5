/** One drawn icon per category group (no emoji, no icon font); always decorative. */
const PATHS: Record<string, string> = {
  // flame
  darurat: "M12 2c1 4 5 6 5 11a5 5 0 0 1-10 0c0-3 2-4 2-7 2 1 3 3 3 5 1-2 1-5 0-9z",
  // cloud with rain
  bencana:
    "M7 15a4 4 0 0 1 0-8 5 5 0 0 1 9.6 1.5A3.5 3.5 0 0 1 17 15zM8 18l-1 3M12 18l-1 3M16 18l-1 3",
  // tree
  lingkungan: "M12 2l6 8h-3l4 6H5l4-6H6zM11 16h2v6h-2z",
  // road with lanes
  infrastruktur: "M8 2L4 22M16 2l4 20M12 3v3M12 10v4M12 18v3",
  // shield
  keamanan: "M12 2l8 3v6c0 5-3.5 9-8 11-4.5-2-8-6-8-11V5z",
  // people
  sosial:
    "M8 11a3 3 0 1 0 0-6 3 3 0 0 0 0 6zM16 11a3 3 0 1 0 0-6 3 3 0 0 0 0 6zM2 20c0-4 3-6 6-6s6 2 6 6M12 20c0-4 2-6 4-6s6 2 6 6",
  // traffic light
  lalu_lintas:
    "M9 2h6a1 1 0 0 1 1 1v16a1 1 0 0 1-1 1H9a1 1 0 0 1-1-1V3a1 1 0 0 1 1-1zM12 5v.1M12 10v.1M12 15v.1M12 20v2",
  // bolt
  utilitas: "M13 2L4 14h7l-1 8 9-12h-7z",
  // megaphone
  ketertiban: "M3 10v4h4l8 5V5L7 10zM18 9a4 4 0 0 1 0 6",
  // building with columns
  layanan: "M3 9l9-6 9 6zM5 10v8M9 10v8M15 10v8M19 10v8M3 21h18",
};

export function GroupIcon({ group }: { group: string }) {
  const d = PATHS[group] ?? "M12 2a10 10 0 1 0 0 20 10 10 0 0 0 0-20zM12 7v6M12 16v.1";
  return (
    <svg
      class="group-icon"
      viewBox="0 0 24 24"
      width="32"
      height="32"
      aria-hidden="true"
      focusable="false"
      fill="none"
      stroke="currentColor"
      stroke-width="2"
      stroke-linecap="round"
      stroke-linejoin="round"
    >
      <path d={d} />
    </svg>
  );
}
