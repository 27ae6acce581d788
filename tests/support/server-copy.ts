/**
 * A copy of the compiled server (build/signal) beside the production
 * dependencies, with another uWebSockets.js in place of the installed one:
 * how the tests see the server boot on a broken build, and how the signal
 * benchmark runs it on the previous build.
 *
 * Node.js resolves `uWebSockets.js` from the copy's own node_modules; every
 * other dependency is a link to the installed package.
 */
import { cp, mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { SIGNAL_MAIN } from './signal-process.js';

const REPO = join(import.meta.dirname, '../..');

/** The package to use: a folder of its own, or files written for the occasion. */
export type UwsPackage = { dir: string } | { files: Record<string, string> };

/** Fills `folder` (made or emptied) with the copy; returns the path of its main.js. */
export async function copyServerWithUws(folder: string, uws: UwsPackage): Promise<string> {
  await rm(folder, { recursive: true, force: true });
  await mkdir(join(folder, 'node_modules'), { recursive: true });
  const manifest = JSON.parse(await readFile(join(REPO, 'package.json'), 'utf8')) as { type: string; dependencies: Record<string, string> };
  await writeFile(join(folder, 'package.json'), JSON.stringify({ type: manifest.type }));
  await cp(dirname(SIGNAL_MAIN), join(folder, 'build/signal'), { recursive: true });
  for (const name of Object.keys(manifest.dependencies)) {
    if (name !== 'uWebSockets.js') await symlink(join(REPO, 'node_modules', name), join(folder, 'node_modules', name));
  }
  const target = join(folder, 'node_modules/uWebSockets.js');
  if ('dir' in uws) {
    await symlink(uws.dir, target);
  } else {
    await mkdir(target);
    for (const [name, text] of Object.entries(uws.files)) await writeFile(join(target, name), text);
  }
  return join(folder, 'build/signal/main.js');
}
