/**
 * The layers of docs/architecture.md hold: no module imports from a layer above its own, the app takes only the
 * protocol from the server, and no import goes round in a circle (.dependency-cruiser.cjs says each rule). And
 * every module stays small enough to read whole: a file that grows past the limit is split along its seams.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cruise, type ICruiseResult } from 'dependency-cruiser';
import extractDepcruiseOptions from 'dependency-cruiser/config-utl/extract-depcruise-options';
import extractTSConfig from 'dependency-cruiser/config-utl/extract-ts-config';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '../..');

interface Cruised {
  violations: string[];
  /** Relative imports that did not resolve to a file: a cruise that cannot see the imports proves nothing. */
  unresolved: string[];
  modules: number;
}

async function cruised(paths: string[], baseDir = root): Promise<Cruised> {
  const options = await extractDepcruiseOptions(join(root, '.dependency-cruiser.cjs'));
  const result = await cruise(paths, { ...options, baseDir }, { extensions: ['.ts', '.js', '.mjs'] }, { tsConfig: extractTSConfig(join(root, 'tsconfig.json')) });
  const output = result.output as ICruiseResult;
  return {
    violations: output.summary.violations.map((v) => `${v.rule.name}: ${[v.from, ...(v.cycle?.map((step) => step.name) ?? [v.to])].join(' → ')}`),
    unresolved: output.modules.flatMap((m) => m.dependencies.filter((d) => d.couldNotResolve && d.module.startsWith('.')).map((d) => `${m.source} → ${d.module}`)),
    modules: output.modules.length,
  };
}

/** Lines a module of web/, sw/ or signal/ may have (tests and their support apart). */
const MAX_LINES = 450;

describe('the modules', () => {
  it(`are each at most ${MAX_LINES} lines in web/, sw/ and signal/`, () => {
    const modules = ['web', 'sw', 'signal'].flatMap((dir) =>
      readdirSync(join(root, dir), { recursive: true, encoding: 'utf8' })
        .filter((file) => file.endsWith('.ts') && !/(\.test|\.browser-test|test-support|\.d)\.ts$/.test(file))
        .map((file) => join(dir, file)),
    );
    expect(modules.length).toBeGreaterThan(150);
    const long = modules.map((file) => [file, readFileSync(join(root, file), 'utf8').split('\n').length - 1] as const).filter(([, lines]) => lines > MAX_LINES);
    expect(long).toEqual([]);
  });
});

describe('the layers', () => {
  it('hold in web/, sw/ and signal/: nothing imports upward, and there is no import circle', async () => {
    const { violations, unresolved, modules } = await cruised(['web', 'sw', 'signal']);
    expect(unresolved).toEqual([]);
    expect(modules).toBeGreaterThan(150);
    expect(violations).toEqual([]);
  }, 60_000);

  it('are checked: an upward import and a circle are both found', async () => {
    // Fixtures that break each kind of rule, so that a rule that stopped matching fails here.
    const { violations } = await cruised(['web'], join(import.meta.dirname, 'fixtures'));
    expect(violations).toEqual(
      expect.arrayContaining([
        'no-upward-from-storage-events-format-styles: web/storage/upward.ts → web/room/session.ts',
        expect.stringMatching(/^no-circular: web\/(storage\/upward|room\/session)\.ts → /),
      ]),
    );
  }, 60_000);
});
