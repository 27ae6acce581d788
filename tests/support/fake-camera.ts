/**
 * What Chromium's fake camera shows: a Y4M file given with `--use-file-for-fake-video-capture`, which the
 * browser opens each time the camera starts (not at launch), so a test can put on it a picture that exists
 * only once the pages are up, such as the QR code one page shows for the other to scan. A camera already
 * open keeps showing what it read: the file is changed only while none is. Sizes must be even (an odd one
 * makes `getUserMedia` hang), and only 4:2:0 is read.
 */
import { renameSync, writeFileSync } from 'node:fs';
import type { Locator } from '@playwright/test';

const WIDTH = 640;
const HEIGHT = 480;

/** The element as it is on screen (a screenshot), centred on a white 640 × 480 frame, put on the camera at `path`. */
export async function showOnCamera(element: Locator, path: string): Promise<void> {
  const png = await element.screenshot();
  // The screenshot's pixels, read back by the browser that took it (no PNG decoder needed here).
  const { width, height, rgba } = await element.page().evaluate(async (base64) => {
    const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
    const bitmap = await createImageBitmap(new Blob([bytes], { type: 'image/png' }));
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    const context = canvas.getContext('2d')!;
    context.drawImage(bitmap, 0, 0);
    const data = context.getImageData(0, 0, bitmap.width, bitmap.height).data;
    let binary = '';
    for (let i = 0; i < data.length; i += 0x8000) binary += String.fromCharCode(...data.subarray(i, i + 0x8000));
    return { width: bitmap.width, height: bitmap.height, rgba: btoa(binary) };
  }, png.toString('base64'));
  writeCamera(path, frameY4m(centred(Buffer.from(rgba, 'base64'), width, height)));
}

/** A plain grey picture, for a camera that has nothing to show yet. */
export function blankCamera(path: string): void {
  writeCamera(path, frameY4m(Buffer.alloc(WIDTH * HEIGHT * 4, 0x80)));
}

/** Whole or not at all: the browser may open the file at any moment (a camera it finds half written shows nothing). */
function writeCamera(path: string, y4m: Buffer): void {
  writeFileSync(`${path}.tmp`, y4m);
  renameSync(`${path}.tmp`, path);
}

/** The picture (scaled down if it is larger) in the middle of a white frame. */
function centred(rgba: Buffer, width: number, height: number): Buffer {
  const frame = Buffer.alloc(WIDTH * HEIGHT * 4, 0xff);
  const scale = Math.min(1, (WIDTH - 40) / width, (HEIGHT - 40) / height);
  const w = Math.floor(width * scale);
  const h = Math.floor(height * scale);
  const left = Math.floor((WIDTH - w) / 2);
  const top = Math.floor((HEIGHT - h) / 2);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const from = (Math.floor(y / scale) * width + Math.floor(x / scale)) * 4;
      rgba.copy(frame, ((top + y) * WIDTH + left + x) * 4, from, from + 4);
    }
  }
  return frame;
}

/**
 * RGBA to a Y4M file of a few identical 4:2:0 frames (the browser loops them): BT.601 in the limited range
 * (Y 16–235), as Chromium reads its file capture device.
 */
function frameY4m(rgba: Buffer): Buffer {
  const ySize = WIDTH * HEIGHT;
  const cw = WIDTH / 2;
  const cSize = cw * (HEIGHT / 2);
  const planes = Buffer.alloc(ySize + 2 * cSize);
  const clamp = (value: number) => Math.max(0, Math.min(255, Math.round(value)));
  for (let i = 0; i < ySize; i++) planes[i] = clamp(16 + (65.481 * rgba[i * 4]! + 128.553 * rgba[i * 4 + 1]! + 24.966 * rgba[i * 4 + 2]!) / 255);
  for (let cy = 0; cy < HEIGHT / 2; cy++) {
    for (let cx = 0; cx < cw; cx++) {
      let r = 0;
      let g = 0;
      let b = 0;
      for (const [dx, dy] of [[0, 0], [1, 0], [0, 1], [1, 1]] as const) {
        const p = ((cy * 2 + dy) * WIDTH + cx * 2 + dx) * 4;
        r += rgba[p]! / 4;
        g += rgba[p + 1]! / 4;
        b += rgba[p + 2]! / 4;
      }
      planes[ySize + cy * cw + cx] = clamp(128 + (-37.797 * r - 74.203 * g + 112 * b) / 255);
      planes[ySize + cSize + cy * cw + cx] = clamp(128 + (112 * r - 93.786 * g - 18.214 * b) / 255);
    }
  }
  const frames: Buffer[] = [Buffer.from(`YUV4MPEG2 W${WIDTH} H${HEIGHT} F10:1 Ip A1:1 C420jpeg\n`, 'ascii')];
  for (let i = 0; i < 3; i++) frames.push(Buffer.from('FRAME\n', 'ascii'), planes);
  return Buffer.concat(frames);
}
