/**
 * The Dockerfile, read instruction by instruction (no Docker engine can run
 * here): a glibc Node.js 22 image built in stages, on the exact release the tests run the server on, running the signal process
 * as an unprivileged user with production dependencies only, with a health
 * check, and a build context that leaves secrets out.
 */
import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

const REPO = join(import.meta.dirname, '../..');

interface Instruction {
  keyword: string;
  args: string;
}

interface Stage {
  image: string;
  name: string | undefined;
  instructions: Instruction[];
}

/** Splits a Dockerfile into stages of instructions: comments dropped, continuation lines joined, ARG defaults put into FROM. */
function parseDockerfile(text: string): Stage[] {
  const lines = text.split('\n').filter((line) => !/^\s*#/.test(line));
  const joined = lines.join('\n').replace(/\\\n/g, ' ');
  const args: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const line of joined.split('\n')) {
    const match = /^\s*([A-Za-z]+)\s+(.*)$/.exec(line);
    if (!match) continue;
    const keyword = match[1]!.toUpperCase();
    const rest = match[2]!.trim().replace(/\s+/g, ' ');
    if (keyword === 'ARG' && stages.length === 0) {
      const [name, value = ''] = rest.split('=');
      args[name!] = value;
    } else if (keyword === 'FROM') {
      const [image, as, name] = rest.replace(/\$\{(\w+)\}/g, (_, arg: string) => args[arg] ?? '').split(' ');
      stages.push({ image: image!, name: as?.toUpperCase() === 'AS' ? name : undefined, instructions: [] });
    } else {
      stages.at(-1)?.instructions.push({ keyword, args: rest });
    }
  }
  return stages;
}

/** Whether .dockerignore lets a path into the build context: the last pattern that matches the path or a folder above it decides. */
function inContext(patterns: string[], path: string): boolean {
  const toRegExp = (pattern: string) =>
    new RegExp(
      '^' +
        pattern
          .replace(/[.+^${}()|[\]]/g, '\\$&')
          .replace(/\*\*\//g, '\u0000')
          .replace(/\*\*/g, '\u0001')
          .replace(/\*/g, '[^/]*')
          .replace(/\?/g, '[^/]')
          .replace(/\u0000/g, '(.*/)?')
          .replace(/\u0001/g, '.*') +
        '$',
    );
  const candidates = path.split('/').map((_, index, parts) => parts.slice(0, index + 1).join('/'));
  let included = true;
  for (const line of patterns) {
    const negated = line.startsWith('!');
    const pattern = toRegExp(negated ? line.slice(1) : line);
    if (candidates.some((candidate) => pattern.test(candidate))) included = negated;
  }
  return included;
}

describe('Dockerfile', () => {
  let stages: Stage[];
  let final: Stage;
  let ignore: string[];
  beforeAll(async () => {
    stages = parseDockerfile(await readFile(join(REPO, 'Dockerfile'), 'utf8'));
    final = stages.at(-1)!;
    ignore = (await readFile(join(REPO, '.dockerignore'), 'utf8')).split('\n').map((line) => line.trim()).filter((line) => line !== '' && !line.startsWith('#'));
  });

  const run = (stage: Stage) => stage.instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args);
  const stageNamed = (name: string) => stages.find((stage) => stage.name === name);

  it('builds in stages on Debian slim (glibc), on the Node.js 22 release the server suites run on, which "engines" allows', async () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const tested = /^VERSION=(\d+\.\d+\.\d+)$/m.exec(await readFile(join(REPO, 'tests/support/node22.sh'), 'utf8'))?.[1];
    expect(tested).toMatch(/^22\./);
    // uWebSockets.js's native core needs glibc: not Alpine (musl). A pinned release, not a moving tag.
    for (const stage of stages) expect(stage.image).toBe(`node:${tested}-bookworm-slim`);
    const engines = (JSON.parse(await readFile(join(REPO, 'package.json'), 'utf8')) as { engines: { node: string } }).engines.node;
    expect(engines).toBe('>=20.19 <21 || >=22.12 <23');
    const [major, minor] = tested!.split('.').map(Number);
    expect(major === 22 && minor! >= 12).toBe(true);
  });

  it('keeps only the native uWebSockets.js core for the Node.js ABI of the image, and fails the build if it is missing or does not load', () => {
    const commands = run(stageNamed('runtime-deps')!).join(' && ');
    expect(commands).toContain("process.versions.modules");
    expect(commands).toMatch(/find node_modules\/uWebSockets\.js -name '\*\.node' ! -name "\$core" -delete/);
    expect(commands).toContain('test -f "node_modules/uWebSockets.js/$core"');
    expect(commands).toContain(`node -e "require('uWebSockets.js')"`);
    // The binary sits where the package loads it from.
    const loader = readFileSync(join(REPO, 'node_modules/uWebSockets.js/uws.js'), 'utf8');
    expect(loader).toContain("require('./uws_' + process.platform + '_' + process.arch + '_' + process.versions.modules + '.node')");
  });

  it('builds the app and the server with the dev dependencies, from the lock file', () => {
    const build = stages.find((stage) => run(stage).some((command) => command.includes('npm run build')))!;
    const commands = run(build);
    const install = commands.findIndex((command) => /^npm ci\b/.test(command));
    expect(install).toBeGreaterThanOrEqual(0);
    expect(commands[install]).not.toMatch(/--omit|--production/);
    expect(commands.findIndex((command) => command.includes('npm run build'))).toBeGreaterThan(install);
  });

  it('ships production dependencies only, from the lock file, and only what the server runs', () => {
    const copies = final.instructions.filter((i) => i.keyword === 'COPY').map((i) => i.args);
    const modules = copies.find((args) => args.endsWith(' ./node_modules'));
    const from = /--from=(\S+)/.exec(modules ?? '')?.[1];
    expect(from, 'node_modules comes from a stage').toBeDefined();
    expect(run(stageNamed(from!)!).some((command) => /^npm ci\b.*--omit=dev/.test(command))).toBe(true);
    // The final image holds the manifest (for "type": "module"), dependencies, the compiled server and the built app: no sources.
    const destinations = copies.map((args) => args.split(' ').at(-1));
    expect(destinations.sort()).toEqual(['./', './build/signal', './dist', './node_modules', '/data']);
    expect(copies.every((args) => args.startsWith('--from='))).toBe(true);
    // The one folder it may write to (its VAPID keys), given to the unprivileged user.
    expect(copies).toContain('--from=runtime-deps --chown=node:node /data /data');
    expect(final.instructions.filter((i) => i.keyword === 'ENV').map((i) => i.args).join(' ')).toMatch(/\bDATA_DIR=\/data\b/);
    expect(run(final)).toEqual([]);
  });

  it('runs as an unprivileged user', () => {
    const users = final.instructions.filter((i) => i.keyword === 'USER').map((i) => i.args);
    expect(users.length).toBeGreaterThan(0);
    expect(users.at(-1)).not.toMatch(/^(root|0)(:|$)/);
    const order = final.instructions.map((i) => i.keyword);
    expect(order.lastIndexOf('USER')).toBeLessThan(order.indexOf('CMD'));
  });

  it('checks its health on /healthz, at the port the server listens on', () => {
    const env = final.instructions.filter((i) => i.keyword === 'ENV').map((i) => i.args).join(' ');
    expect(env).toMatch(/\bPORT=8080\b/);
    expect(final.instructions.find((i) => i.keyword === 'EXPOSE')?.args).toBe('8080');
    const healthcheck = final.instructions.find((i) => i.keyword === 'HEALTHCHECK')?.args ?? '';
    expect(healthcheck).toMatch(/^--interval=\S+ --timeout=\S+ .*CMD \[/);
    expect(healthcheck).toContain('http://127.0.0.1:${process.env.PORT}/healthz');
  });

  it('starts the server as PID 1 (exec form), so SIGTERM reaches its shutdown handler', () => {
    const cmd = final.instructions.find((i) => i.keyword === 'CMD')?.args;
    expect(JSON.parse(cmd ?? 'null')).toEqual(['node', 'build/signal/main.js']);
    expect(final.instructions.find((i) => i.keyword === 'ENTRYPOINT')).toBeUndefined();
    expect(final.instructions.find((i) => i.keyword === 'STOPSIGNAL')?.args ?? 'SIGTERM').toBe('SIGTERM');
  });

  it('takes from the build context exactly what it copies, and never .env, TLS keys, dependencies or tests', () => {
    const sources = stages.flatMap((stage) =>
      stage.instructions.filter((i) => i.keyword === 'COPY' && !i.args.startsWith('--from=')).flatMap((i) => i.args.split(' ').slice(0, -1)),
    );
    expect(sources.length).toBeGreaterThan(0);
    for (const source of sources) {
      expect(existsSync(join(REPO, source)), source).toBe(true);
      expect(inContext(ignore, source), `${source} is in the build context`).toBe(true);
    }
    for (const path of ['signal/main.ts', 'web/index.html', 'sw/sw.ts', 'package-lock.json']) expect(inContext(ignore, path), path).toBe(true);
    for (const path of ['.env', 'turn-tls/privkey.pem', 'lan-ca/root.key', '.git/config', 'node_modules/vite/package.json', 'dist/index.html', 'build/signal/main.js', 'tests/e2e/chat.spec.ts', 'signal/config.test.ts', 'web/components/shell/wh-app.browser-test.ts']) {
      expect(inContext(ignore, path), path).toBe(false);
    }
  });
});
