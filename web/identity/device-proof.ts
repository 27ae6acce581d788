/**
 * What proves that a connection reaches the device it was announced as: the device key is the SHA-256
 * fingerprint of the device's DTLS certificate, and DTLS accepts a peer whose certificate matches a
 * fingerprint of the remote description. Firefox accepts a certificate that matches *any* of the
 * description's fingerprints, and a description can carry several (at session level and in each media
 * section), so a description is applied only when every fingerprint in it is the announced key: then the
 * handshake can only succeed with that key's certificate. Where the browser shows the certificate the
 * handshake used (`RTCDtlsTransport.getRemoteCertificates()`), it is compared as well.
 */
import { normalizeFingerprint } from './device-identity.js';

/** Why a remote description cannot be applied for `device`, or null when every fingerprint in it is that key. */
export function descriptionKeyProblem(sdp: string, device: string): string | null {
  let fingerprints = 0;
  for (const raw of sdp.split(/\r\n|\r|\n/)) {
    const line = raw.trim();
    // Parsers differ in what they tolerate: anything that may be read as a fingerprint attribute is checked.
    if (!/^a\s*=\s*fingerprint\s*:/i.test(line)) continue;
    fingerprints++;
    const match = /^a=fingerprint:sha-256 ((?:[0-9A-F]{2}:){31}[0-9A-F]{2})$/i.exec(line);
    if (!match) return `it carries a fingerprint that is not a SHA-256 one (${line.slice(0, 40)}…)`;
    if (normalizeFingerprint(match[1]!) !== device) return 'it carries a fingerprint of another device';
  }
  return fingerprints === 0 ? 'it carries no fingerprint' : null;
}

/** The device key of a DER-encoded certificate: its SHA-256, 64 upper-case hex digits. */
export async function certificateKey(der: ArrayBuffer): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', der));
  return [...digest].map((byte) => byte.toString(16).padStart(2, '0')).join('').toUpperCase();
}

/**
 * The keys of the certificates the peer presented in the handshake, where the browser tells (null where it
 * does not: Firefox has no `getRemoteCertificates`).
 */
export async function handshakeKeys(pc: RTCPeerConnection): Promise<string[] | null> {
  const transport = pc.sctp?.transport as (RTCDtlsTransport & { getRemoteCertificates?: () => ArrayBuffer[] }) | undefined;
  const certificates = transport?.getRemoteCertificates?.();
  if (!certificates || certificates.length === 0) return null;
  return Promise.all(certificates.map(certificateKey));
}
