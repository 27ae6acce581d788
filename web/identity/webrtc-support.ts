/**
 * Whether this browser can connect to people directly. Some browsers have no
 * WebRTC at all: builds without it (Debian's WebKitGTK), old ones, and
 * locked-down ones that remove it. The app then still opens, joins rooms and
 * shows who is there (presence comes from the signal server) and the history
 * kept on this device (IndexedDB), but it makes no peer connection, so it sends
 * no message, file or call. This is the one check the app makes.
 */
export function hasWebRTC(): boolean {
  // The device identity is an RTCCertificate: a browser that cannot make one cannot connect either.
  return typeof globalThis.RTCPeerConnection === 'function' && typeof globalThis.RTCPeerConnection.generateCertificate === 'function';
}
