/**
 * Which pages may open a WebSocket to us. Browsers always send Origin; a page
 * of another site must not be able to join rooms with the user's network
 * position (cross-site WebSocket hijacking). Non-browser clients send no
 * Origin and are allowed, as they could forge one anyway.
 *
 * With no allow-list, the origin must be the one the request was made to: its
 * host equals the Host header (a proxy in front, such as Caddy, keeps Host).
 */
export function isOriginAllowed(origin: string, host: string, allowList: readonly string[]): boolean {
  if (origin === '') return true;
  if (allowList.length > 0) return allowList.includes(origin);
  if (!URL.canParse(origin)) return false;
  const url = new URL(origin);
  return (url.protocol === 'https:' || url.protocol === 'http:') && url.host === host.toLowerCase();
}
