/**
 * "Switch camera" on a phone whose cameras say which way they face, as an iPhone's do, with several back
 * lenses listed between the front ones (emulated here: the page's camera list and getUserMedia answer as an
 * iPhone 15 Pro's do, with canvas tracks standing in for the cameras).
 */
import { expect } from 'chai';
import { OwnMedia, type OwnMediaHost } from './own-media.js';

declare const describe: (title: string, body: () => void) => void;
declare const it: (title: string, body: () => Promise<void>) => void;

const IPHONE_CAMERAS = [
  { deviceId: 'front', facing: 'user' },
  { deviceId: 'back-wide', facing: 'environment' },
  { deviceId: 'back-ultra-wide', facing: 'environment' },
  { deviceId: 'back-telephoto', facing: 'environment' },
  { deviceId: 'front-true-depth', facing: 'user' },
] as const;

/** The iPhone's cameras, answering constraints as WebKit does; returns which camera each open used. */
function emulateIPhoneCameras(): string[] {
  const opened: string[] = [];
  const devices = navigator.mediaDevices;
  devices.enumerateDevices = async () => IPHONE_CAMERAS.map(({ deviceId }) => ({ deviceId, kind: 'videoinput', label: deviceId, groupId: '' }) as MediaDeviceInfo);
  devices.getUserMedia = async (constraints) => {
    const video = constraints?.video as MediaTrackConstraints;
    const facing = video.facingMode as string | { exact?: string } | undefined;
    const wanted = typeof facing === 'string' ? facing : facing?.exact;
    const deviceId = (video.deviceId as { exact?: string } | undefined)?.exact;
    const camera = IPHONE_CAMERAS.find((c) => (deviceId ? c.deviceId === deviceId : c.facing === wanted));
    if (!camera) throw new DOMException('No camera faces that way', 'OverconstrainedError');
    opened.push(camera.deviceId);
    const canvas = document.createElement('canvas');
    const track = canvas.captureStream().getVideoTracks()[0]!;
    Object.assign(track, {
      getSettings: () => ({ deviceId: camera.deviceId, facingMode: camera.facing }),
      getCapabilities: () => ({ deviceId: camera.deviceId, facingMode: [camera.facing] }),
    });
    return new MediaStream([track]);
  };
  return opened;
}

const host: OwnMediaHost<OwnMedia> = { isCurrent: () => true, sendTrack: async () => undefined, changed: () => undefined, notice: () => undefined };

describe('Switch camera on an iPhone (its cameras emulated)', () => {
  it('goes from the front camera to a back one and back to the front, never from one back lens to another', async () => {
    const opened = emulateIPhoneCameras();
    const media = new OwnMedia(true, host);
    media.useLocal(await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'user' } }), '');
    await media.switchCamera();
    expect(media.facing).to.equal('environment');
    await media.switchCamera();
    expect(media.facing).to.equal('user');
    await media.switchCamera();
    expect(opened.map((id) => IPHONE_CAMERAS.find((c) => c.deviceId === id)!.facing)).to.deep.equal(['user', 'environment', 'user', 'environment']);
    media.release();
  });
});
