/** Reads a QR code with the camera, where the browser has a `BarcodeDetector`. */
import { Button } from '@kobalte/core/button';
import { createSignal, onCleanup, onMount, Show, type JSX } from 'solid-js';

interface Detector {
  detect(source: HTMLVideoElement): Promise<{ rawValue: string }[]>;
}
type DetectorClass = new (options: { formats: string[] }) => Detector;

function detectorClass(): DetectorClass | undefined {
  return (globalThis as { BarcodeDetector?: DetectorClass }).BarcodeDetector;
}

export function scannerAvailable(): boolean {
  return (
    detectorClass() !== undefined &&
    typeof (navigator.mediaDevices as MediaDevices | undefined)?.getUserMedia === 'function'
  );
}

/** How often the camera image is checked for a code. */
const SCAN_INTERVAL_MS = 250;

export function Scanner(props: {
  onCode: (code: string) => void;
  onClose: () => void;
}): JSX.Element {
  let video: HTMLVideoElement | undefined;
  let stream: MediaStream | undefined;
  let timer: ReturnType<typeof setInterval> | undefined;
  const [error, setError] = createSignal<string>();

  onMount(() => {
    const Detector = detectorClass();
    if (Detector === undefined || video === undefined) return;
    const detector = new Detector({ formats: ['qr_code'] });
    const v = video;
    navigator.mediaDevices
      .getUserMedia({ video: { facingMode: 'environment' } })
      .then(async (s) => {
        stream = s;
        v.srcObject = s;
        await v.play();
        timer = setInterval(() => {
          void detector.detect(v).then((codes) => {
            const found = codes[0]?.rawValue;
            if (found !== undefined) props.onCode(found);
          });
        }, SCAN_INTERVAL_MS);
      })
      .catch(() => setError('The camera could not be opened. Paste the code instead.'));
  });
  onCleanup(() => {
    clearInterval(timer);
    for (const t of stream?.getTracks() ?? []) t.stop();
  });

  return (
    <div class="scanner">
      <video
        ref={(el) => {
          video = el;
        }}
        class="scanner-video"
        muted
        playsinline
        aria-label="Camera view for scanning the link code"
      />
      <Show when={error()}>
        <p role="alert" class="error">
          {error()}
        </p>
      </Show>
      <Button class="button" onClick={() => props.onClose()}>
        Stop scanning
      </Button>
    </div>
  );
}
