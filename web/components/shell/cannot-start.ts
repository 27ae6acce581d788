/**
 * Why the app cannot start without storage. An Apple device where IndexedDB and WebRTC are both missing is
 * most likely in Lockdown Mode, which turns both off: it is named, with its per-site way out.
 */
export function cannotKeepData(error: unknown): string {
  const apple = /iPhone|iPad|Macintosh/.test(navigator.userAgent);
  if (apple && typeof indexedDB === 'undefined' && typeof RTCPeerConnection === 'undefined') {
    return 'Lockdown Mode seems to be on for this device: it turns off what Whisper needs (storage and calls). To use Whisper, turn Lockdown Mode off for this website: in Safari, open the page settings (aA), then Website Settings.';
  }
  return `This browser does not let Whisper keep data on this device (${error instanceof Error ? error.message : String(error)}).`;
}
