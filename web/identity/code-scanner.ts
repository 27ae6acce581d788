/**
 * Reads a QR code from the camera: the browser's own `BarcodeDetector` where it reads QR codes (Chrome on
 * Android and macOS), else jsQR, loaded with the first scan (Safari, which has it only behind a flag;
 * Firefox; Chromium on Linux and Windows). Frames are drawn to a small canvas a few times a second and decoded on the page: a code on
 * a phone's screen held up to the camera is read within a second.
 */

/** The part of `BarcodeDetector` used here (not in TypeScript's DOM library). */
interface Detector {
  detect(source: CanvasImageSource): Promise<Array<{ rawValue: string }>>;
}
interface DetectorConstructor {
  new (options: { formats: string[] }): Detector;
  getSupportedFormats(): Promise<string[]>;
}

type Decode = (frame: HTMLCanvasElement | HTMLVideoElement) => Promise<string | null>;

const SCAN_INTERVAL_MS = 150;
/** Frames are scaled down to this width at most before decoding: enough for a code that fills a third of the view. */
const MAX_WIDTH = 640;

export class CodeScanner {
  readonly #video: HTMLVideoElement;
  #stream: MediaStream | null = null;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #stopped = false;

  /** Frames are shown in `video` (muted, inline) while the scan runs. */
  constructor(video: HTMLVideoElement) {
    this.#video = video;
  }

  /** As `scan`, with a camera that cannot be opened answered instead of thrown: refused ('denied'), or none ('unavailable'). */
  async read(): Promise<{ text: string | null } | { camera: 'denied' | 'unavailable' }> {
    try {
      return { text: await this.scan() };
    } catch (error) {
      return { camera: error instanceof DOMException && error.name === 'NotAllowedError' ? 'denied' : 'unavailable' };
    }
  }

  /**
   * Opens the camera (the one facing away where there are two) and resolves with the text of the first QR
   * code read, or null when stopped first. Rejects when the camera cannot be opened.
   */
  async scan(): Promise<string | null> {
    this.#stopped = false;
    const stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: { ideal: 'environment' }, width: { ideal: 1280 } }, audio: false });
    if (this.#stopped) {
      for (const track of stream.getTracks()) track.stop();
      return null;
    }
    this.#stream = stream;
    const video = this.#video;
    video.muted = true;
    video.playsInline = true;
    video.srcObject = stream;
    await video.play().catch(() => undefined);
    const decode = await decoder();
    const canvas = document.createElement('canvas');
    return new Promise((resolve) => {
      const tick = async () => {
        if (this.#stopped) return resolve(null);
        if (video.videoWidth > 0) {
          const text = await decode(frameOf(video, canvas)).catch(() => null);
          if (text !== null && !this.#stopped) {
            this.stop();
            return resolve(text);
          }
        }
        if (this.#stopped) return resolve(null);
        this.#timer = setTimeout(() => void tick(), SCAN_INTERVAL_MS);
      };
      void tick();
    });
  }

  /** Closes the camera; a scan under way resolves with null. */
  stop(): void {
    this.#stopped = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    for (const track of this.#stream?.getTracks() ?? []) track.stop();
    this.#stream = null;
    this.#video.srcObject = null;
  }
}

function frameOf(video: HTMLVideoElement, canvas: HTMLCanvasElement): HTMLCanvasElement {
  const scale = Math.min(1, MAX_WIDTH / video.videoWidth);
  canvas.width = Math.round(video.videoWidth * scale);
  canvas.height = Math.round(video.videoHeight * scale);
  canvas.getContext('2d', { willReadFrequently: true })!.drawImage(video, 0, 0, canvas.width, canvas.height);
  return canvas;
}

async function decoder(): Promise<Decode> {
  const Native = (globalThis as { BarcodeDetector?: DetectorConstructor }).BarcodeDetector;
  if (Native && (await Native.getSupportedFormats().catch((): string[] => [])).includes('qr_code')) {
    const detector = new Native({ formats: ['qr_code'] });
    return async (frame) => (await detector.detect(frame))[0]?.rawValue ?? null;
  }
  const { default: jsQR } = await import('jsqr');
  return async (frame) => {
    const canvas = frame as HTMLCanvasElement;
    const image = canvas.getContext('2d', { willReadFrequently: true })!.getImageData(0, 0, canvas.width, canvas.height);
    return jsQR(image.data, image.width, image.height, { inversionAttempts: 'dontInvert' })?.data ?? null;
  };
}
