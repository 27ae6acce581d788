/**
 * uWebSockets.js is a native module: a binary per platform and Node.js ABI.
 * The build we use (@based/uws, uWS.js v20.51) throws when none fits the
 * running Node.js; some other builds instead fall back, with only a console
 * warning, to a slow JavaScript implementation. Serving on either would
 * quietly lose what uWS is for, so the server loads it here, before anything
 * imports it, and refuses to start with one clear line.
 */
import { StartupError } from './config.js';

export function isNativeUws(module: object): boolean {
  const app = (module as { App?: unknown }).App;
  return typeof app === 'function' && Function.prototype.toString.call(app).includes('[native code]') && 'SSLApp' in module;
}

function refusal(reason: string): StartupError {
  return new StartupError(
    `uWebSockets.js did not load its native core for Node.js ${process.version} (${process.platform}-${process.arch}, ABI ${process.versions.modules}): ${reason}; ` +
      'run the signal server on Node.js 20 or 22 (see package.json "engines") on glibc Linux (not Alpine), macOS or Windows.',
  );
}

export function assertNativeUws(module: object): void {
  if (!isNativeUws(module)) throw refusal('it fell back to a JavaScript implementation');
}

/** Imports uWebSockets.js and checks that its native core is what loaded; throws a StartupError otherwise. */
export async function loadNativeUws(): Promise<void> {
  let module: { default: object };
  try {
    module = (await import('uWebSockets.js')) as { default: object };
  } catch (error) {
    // The message's first line names the missing binary; the rest is the loader's stack.
    const first = (error instanceof Error ? error.message : String(error)).split('\n').find((line) => /\.node\b|cannot find|not found/i.test(line));
    throw refusal(first?.trim() ?? 'no binary for this platform');
  }
  assertNativeUws(module.default);
}
