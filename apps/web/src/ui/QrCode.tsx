/**
 * A QR code drawn as one SVG path (no images, no inline styles: the page's policy allows
 * neither). Byte mode, error correction M; bytes are handed to the encoder as a Latin-1 string
 * so they reach the symbol unchanged, as the CLI draws them.
 */
import qrcode from 'qrcode-generator';
import type { JSX } from 'solid-js';

/** The quiet zone the QR specification requires around the symbol, in modules. */
const QUIET = 4;

export function QrCode(props: { data: Uint8Array | string; label: string }): JSX.Element {
  const symbol = () => {
    const bytes =
      typeof props.data === 'string' ? new TextEncoder().encode(props.data) : props.data;
    const qr = qrcode(0, 'M');
    qr.addData(String.fromCharCode(...bytes), 'Byte');
    qr.make();
    const n = qr.getModuleCount();
    let d = '';
    for (let r = 0; r < n; r++)
      for (let c = 0; c < n; c++) if (qr.isDark(r, c)) d += `M${c + QUIET} ${r + QUIET}h1v1h-1z`;
    return { size: n + 2 * QUIET, d };
  };
  return (
    <svg
      class="qr"
      role="img"
      aria-label={props.label}
      viewBox={`0 0 ${symbol().size} ${symbol().size}`}
      shape-rendering="crispEdges"
    >
      <rect width="100%" height="100%" fill="#ffffff" />
      <path d={symbol().d} fill="#000000" />
    </svg>
  );
}
