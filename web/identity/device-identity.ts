/**
 * This device's identity: a long-lived DTLS certificate kept in IndexedDB.
 * Its SHA-256 fingerprint is the device key: peers learn it from the server's
 * announcement and DTLS proves it (device-proof.ts), so history follows a
 * person across reloads and reconnects, and a changed key can be noticed.
 */
import { hasWebRTC } from './webrtc-support.js';
import type { WhisperDatabase } from '../storage/database.js';

export interface DeviceIdentity {
  /** None in a browser without WebRTC (see webrtc-support.ts): it connects to no one. */
  certificate: RTCCertificate | null;
  /** SHA-256 fingerprint of the certificate (without one, a random stand-in), 64 upper-case hex digits. */
  device: string;
}

/** Certificates are made to last a year, and replaced a week before they expire. */
const CERTIFICATE_LIFETIME_MS = 365 * 24 * 3600 * 1000;
const RENEW_BEFORE_MS = 7 * 24 * 3600 * 1000;

export async function loadDeviceIdentity(db: WhisperDatabase): Promise<DeviceIdentity> {
  if (!hasWebRTC()) return { certificate: null, device: await keyWithoutWebRTC(db) };
  const stored = (await db.get('settings', 'certificate')) as RTCCertificate | undefined;
  if (stored && stored.expires - Date.now() > RENEW_BEFORE_MS) return { certificate: stored, device: deviceKeyOf(stored) };
  const certificate = await RTCPeerConnection.generateCertificate({
    name: 'ECDSA',
    namedCurve: 'P-256',
    expires: CERTIFICATE_LIFETIME_MS,
  } as AlgorithmIdentifier);
  await db.put('settings', certificate, 'certificate');
  return { certificate, device: deviceKeyOf(certificate) };
}

/**
 * A browser without WebRTC has no certificate to take a key from, yet the others need a key to list the
 * person and keep them as a contact. It gets a random one, kept like the certificate. Nothing proves it,
 * and nothing has to: no connection is ever made to it, so nothing is ever sent to whoever claims it.
 */
async function keyWithoutWebRTC(db: WhisperDatabase): Promise<string> {
  const stored = (await db.get('settings', 'deviceKeyWithoutWebRTC')) as string | undefined;
  if (stored) return stored;
  const key = [...crypto.getRandomValues(new Uint8Array(32))].map((byte) => byte.toString(16).padStart(2, '0')).join('').toUpperCase();
  await db.put('settings', key, 'deviceKeyWithoutWebRTC');
  return key;
}

function deviceKeyOf(certificate: RTCCertificate): string {
  const sha256 = certificate.getFingerprints().find((f) => f.algorithm?.toLowerCase() === 'sha-256');
  if (!sha256?.value) throw new Error('this browser does not give SHA-256 certificate fingerprints');
  return normalizeFingerprint(sha256.value);
}

export function normalizeFingerprint(value: string): string {
  return value.replace(/:/g, '').toUpperCase();
}
