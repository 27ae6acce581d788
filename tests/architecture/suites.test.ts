/**
 * `npm test` runs every vitest file: the app's units and the tools' own tests on the machine's Node.js 20
 * (`test:node20`, with the server's boot, which `npm start` runs on it here), the server and deploy suites on
 * Node.js 22, the production runtime (`test:node22`). A new test file in a folder neither names would be
 * skipped without a word: this says which.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '../..');

/** The paths a script hands to `vitest run`. */
function pathsOf(script: string): string[] {
  const run = script.split(' run ')[1] ?? '';
  return run.split(/\s+/).filter((word) => word && !word.startsWith('-'));
}

describe('the vitest stages of npm test', () => {
  it('take every test file, each on one Node.js only but the server’s boot', () => {
    const scripts = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    const stages = { node20: pathsOf(scripts['test:node20'] ?? ''), node22: pathsOf(scripts['test:node22'] ?? '') };
    expect(stages.node20.length).toBeGreaterThan(0);
    expect(stages.node22.length).toBeGreaterThan(0);
    const files = ['signal', 'web', 'sw', 'tests'].flatMap((dir) =>
      readdirSync(join(root, dir), { recursive: true, encoding: 'utf8' })
        .filter((file) => file.endsWith('.test.ts') && !file.includes('node_modules'))
        .map((file) => `${dir}/${file}`),
    );
    expect(files.length).toBeGreaterThan(50);
    const takenBy = (paths: string[], file: string) => paths.some((path) => (path.endsWith('/') ? file.startsWith(path) : file === path));
    const nowhere = files.filter((file) => !takenBy(stages.node20, file) && !takenBy(stages.node22, file));
    const twice = files.filter((file) => takenBy(stages.node20, file) && takenBy(stages.node22, file));
    // The one server suite on both: the process boots on Node.js 20 too, as `npm start` runs it on this machine.
    expect({ nowhere, twice }).toEqual({ nowhere: [], twice: ['tests/signal/process.test.ts'] });
  });
});
