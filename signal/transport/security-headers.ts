/**
 * Headers on every HTTP response. The Content-Security-Policy is strict: the
 * app loads only its own scripts, styles and workers, and talks only to its
 * own origin (WebSocket included); media and images may come from blob: URLs
 * made in the page (received files, previews; saving one fetches its blob:
 * URL, hence blob: in connect-src too). 'wasm-unsafe-eval' lets the
 * app compile its own WebAssembly (the file hashes of hash-wasm); it does not
 * allow eval of JavaScript.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "style-src 'self'",
  "img-src 'self' blob: data:",
  "media-src 'self' blob:",
  "connect-src 'self' blob:",
  "worker-src 'self'",
  "manifest-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

export const PERMISSIONS_POLICY = [
  'camera=(self)',
  'microphone=(self)',
  'display-capture=(self)',
  'screen-wake-lock=(self)',
  'fullscreen=(self)',
  'picture-in-picture=(self)',
  'geolocation=()',
  'payment=()',
  'usb=()',
].join(', ');

export const SECURITY_HEADERS: ReadonlyArray<readonly [string, string]> = [
  ['Content-Security-Policy', CONTENT_SECURITY_POLICY],
  ['Permissions-Policy', PERMISSIONS_POLICY],
  ['X-Content-Type-Options', 'nosniff'],
  ['X-Frame-Options', 'DENY'],
  ['Referrer-Policy', 'no-referrer'],
  ['Cross-Origin-Opener-Policy', 'same-origin'],
  ['Cross-Origin-Resource-Policy', 'same-origin'],
];
