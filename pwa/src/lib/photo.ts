/** Photos are shrunk on the phone before they are queued: a 12 MP camera shot becomes ~300 KB. */

export const MAX_SIDE = 1600;
export const JPEG_QUALITY = 0.82;

/** The size that fits `maxSide` on the longest side, never enlarging. */
export function fitWithin(width: number, height: number, maxSide = MAX_SIDE): [number, number] {
  const longest = Math.max(width, height);
  if (longest <= maxSide) return [width, height];
  const scale = maxSide / longest;
  return [Math.max(1, Math.round(width * scale)), Math.max(1, Math.round(height * scale))];
}

/**
 * Decode (respecting the camera's EXIF orientation), scale and re-encode as JPEG. Re-encoding
 * also drops the EXIF block, so the phone never uploads the original's metadata.
 */
export async function resizePhoto(file: Blob, maxSide = MAX_SIDE): Promise<Blob> {
  const bitmap = await createImageBitmap(file, { imageOrientation: "from-image" });
  try {
    const [w, h] = fitWithin(bitmap.width, bitmap.height, maxSide);
    const canvas = document.createElement("canvas");
    canvas.width = w;
    canvas.height = h;
    const ctx = canvas.getContext("2d");
    if (!ctx) throw new Error("no 2d context");
    ctx.fillStyle = "#fff"; // transparent PNGs become white, not black, in JPEG
    ctx.fillRect(0, 0, w, h);
    ctx.drawImage(bitmap, 0, 0, w, h);
    const blob = await new Promise<Blob | null>((resolve) =>
      canvas.toBlob(resolve, "image/jpeg", JPEG_QUALITY),
    );
    if (!blob) throw new Error("encode failed");
    return blob;
  } finally {
    bitmap.close();
  }
}
