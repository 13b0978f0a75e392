/**
 * QR codes in the terminal: `qrcode-generator` builds the module matrix, and this file draws it
 * with Unicode half blocks (one text row per two module rows). Light modules and the quiet zone
 * are drawn as ink (`█`), dark modules as blank: on the usual dark-background terminal that
 * gives dark modules on a light field, which is what scanners expect.
 */
import qrcode from 'qrcode-generator';

/** The quiet zone the QR specification requires around the symbol, in modules. */
export const QR_QUIET_ZONE = 4;

export interface QrMatrix {
  /** Modules per side, without the quiet zone (21 + 4 · (version − 1)). */
  readonly size: number;
  dark(row: number, col: number): boolean;
}

/**
 * Encodes bytes in byte mode (error correction M, smallest version that fits). Text is encoded
 * as UTF-8 first. `qrcode-generator` maps each char code to one byte (`c & 0xff`), so the bytes
 * are handed over as a Latin-1 string and reach the symbol unchanged.
 */
export function qrMatrix(payload: Uint8Array | string): QrMatrix {
  const bytes = typeof payload === 'string' ? new TextEncoder().encode(payload) : payload;
  const qr = qrcode(0, 'M');
  qr.addData(String.fromCharCode(...bytes), 'Byte');
  qr.make();
  return { size: qr.getModuleCount(), dark: (row, col) => qr.isDark(row, col) };
}

/** Draws a matrix with its quiet zone; each returned line is `size + 2 · QR_QUIET_ZONE` wide. */
export function drawQr(m: QrMatrix): string[] {
  const full = m.size + 2 * QR_QUIET_ZONE;
  const light = (row: number, col: number): boolean => {
    const r = row - QR_QUIET_ZONE;
    const c = col - QR_QUIET_ZONE;
    return r < 0 || c < 0 || r >= m.size || c >= m.size || !m.dark(r, c);
  };
  const lines: string[] = [];
  for (let row = 0; row < full; row += 2) {
    let line = '';
    for (let col = 0; col < full; col++) {
      const top = light(row, col);
      // Past the last row (odd height) counts as more quiet zone.
      const bottom = row + 1 >= full || light(row + 1, col);
      line += top ? (bottom ? '█' : '▀') : bottom ? '▄' : ' ';
    }
    lines.push(line);
  }
  return lines;
}

/** The drawing of a payload, as one string of lines. */
export function qrText(payload: Uint8Array | string): string {
  return drawQr(qrMatrix(payload)).join('\n');
}
