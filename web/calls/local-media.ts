/**
 * This device's camera, microphone and screen for a call, with the fallbacks
 * a person expects: no camera gives an audio-only call, no microphone or
 * camera at all still lets them see and hear the other side, and every
 * failure is explained in words.
 */

export type Facing = 'user' | 'environment';

export interface AcquiredMedia {
  stream: MediaStream;
  /** What could not be had and what the call does instead; empty when all went well. */
  notice: string;
}

const AUDIO: MediaTrackConstraints = { echoCancellation: true, noiseSuppression: true, autoGainControl: true };

/** `deviceId`: that camera; `exactFacing`: the camera facing that way and no other (a phone's switch). */
export function videoConstraints(facing: Facing, deviceId?: string, exactFacing = false): MediaTrackConstraints {
  return {
    ...(deviceId ? { deviceId: { exact: deviceId } } : { facingMode: exactFacing ? { exact: facing } : facing }),
    width: { ideal: 1280 },
    height: { ideal: 720 },
    frameRate: { ideal: 30 },
  };
}

/** Microphone, and the camera for a video call; as much of them as the device and the person allow. */
export async function acquireMedia(video: boolean, facing: Facing = 'user'): Promise<AcquiredMedia> {
  const devices = navigator.mediaDevices;
  if (!devices?.getUserMedia) {
    return { stream: new MediaStream(), notice: 'This browser gives Whisper no access to a microphone or camera here (it needs HTTPS). You can still see and hear the other person.' };
  }
  try {
    return { stream: await devices.getUserMedia({ audio: AUDIO, video: video ? videoConstraints(facing) : false }), notice: '' };
  } catch (first) {
    if (video) {
      try {
        const stream = await devices.getUserMedia({ audio: AUDIO });
        return { stream, notice: `${mediaProblem(first, 'camera')} The call goes on with audio only from your side.` };
      } catch {
        // Neither together nor the microphone alone: try the camera alone before giving up.
      }
      try {
        const stream = await devices.getUserMedia({ video: videoConstraints(facing) });
        return { stream, notice: `${mediaProblem(first, 'microphone')} The other person can see you but not hear you.` };
      } catch {
        // Nothing at all: receive only.
      }
    }
    return { stream: new MediaStream(), notice: `${mediaProblem(first, video ? 'microphone and camera' : 'microphone')} You can still ${video ? 'see and ' : ''}hear the other person.` };
  }
}

/** Opens the microphone alone (again, after the system ended it in the background). */
export async function openMicrophone(): Promise<MediaStreamTrack> {
  const stream = await navigator.mediaDevices.getUserMedia({ audio: AUDIO });
  return stream.getAudioTracks()[0]!;
}

/** Opens the camera alone (turning it back on, switching cameras). */
export async function openCamera(facing: Facing, deviceId?: string, exactFacing = false): Promise<MediaStreamTrack> {
  const stream = await navigator.mediaDevices.getUserMedia({ video: videoConstraints(facing, deviceId, exactFacing) });
  return stream.getVideoTracks()[0]!;
}

export async function videoInputs(): Promise<MediaDeviceInfo[]> {
  const devices = (await navigator.mediaDevices?.enumerateDevices?.().catch(() => [])) ?? [];
  return devices.filter((device) => device.kind === 'videoinput');
}

/** Screen sharing is a desktop feature: phones either lack it or share in ways that confuse. */
export function canShareScreen(): boolean {
  return typeof navigator.mediaDevices?.getDisplayMedia === 'function' && !matchMedia('(pointer: coarse)').matches;
}

/** Why a device could not be used, in the person's words. */
export function mediaProblem(error: unknown, what: string): string {
  const name = error instanceof DOMException ? error.name : '';
  switch (name) {
    case 'NotAllowedError':
    case 'SecurityError':
      return `Whisper may not use your ${what}: access was refused (allow it in the browser’s site settings).`;
    case 'NotFoundError':
    case 'OverconstrainedError':
      return `No ${what} was found on this device.`;
    case 'NotReadableError':
    case 'AbortError':
      return `Your ${what} is in use by another app or could not be started.`;
    default:
      return `Your ${what} could not be used (${error instanceof Error ? error.message : String(error)}).`;
  }
}

/** Releases the devices (their lights go out). */
export function stopTracks(stream: MediaStream): void {
  for (const track of stream.getTracks()) track.stop();
}
