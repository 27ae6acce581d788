/**
 * The uWebSockets.js build we use falls back, with only a console warning, to
 * a slow pure-JS implementation when its native binary does not load (another
 * Node.js major, musl). Serving on that would quietly lose what uWS is for, so
 * the server refuses to start.
 */
import uWS from 'uWebSockets.js';
import { StartupError } from './config.js';

export function isNativeUws(module: object = uWS): boolean {
  const app = (module as { App?: unknown }).App;
  return typeof app === 'function' && Function.prototype.toString.call(app).includes('[native code]') && 'SSLApp' in module;
}

export function assertNativeUws(module: object = uWS): void {
  if (isNativeUws(module)) return;
  throw new StartupError(
    `uWebSockets.js did not load its native core for Node.js ${process.version} (${process.platform}-${process.arch}, ABI ${process.versions.modules}) ` +
      'and fell back to its slow JavaScript implementation; run the signal server on Node.js 20 with glibc >= 2.34 (not Alpine), and unset UWS_USE_FALLBACK.',
  );
}
