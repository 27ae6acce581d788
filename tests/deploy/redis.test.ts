/**
 * Redis of the scaled profile, as docker-compose.yml runs it: its entrypoint
 * (deploy/redis-entrypoint.sh) and arguments, taken from the compose tool's own
 * reading of the file, run natively with a real redis-server on a free loopback
 * port. It answers only the signal user with REDIS_PASSWORD; a real signal
 * process with compose's REDIS_URL gets in and never logs the password; what
 * it holds (the replicas' mailboxes) is still there after a restart.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { access, chmod, constants, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/free-port.js';
import { launchSignal, type SignalProcess } from '../support/signal-process.js';
import { terminate } from '../support/terminate.js';
import { redisReady } from '../signal/support/redis-server.js';
import { TestClient, randomRoom } from '../signal/support/test-client.js';
import { composeConfig, envExampleWith, networksOf, type ComposeConfig, type ComposeService } from './compose-config.js';

const PASSWORD = randomBytes(32).toString('hex');
const SCALED = {
  WHISPER_MODE: 'domain',
  WHISPER_ADDRESS: 'chat.example.org',
  TURN_SECRET: randomBytes(32).toString('hex'),
  TURN_EXTERNAL_IP: '203.0.113.7',
  VAPID_SUBJECT: 'mailto:ops@example.org',
  REDIS_PASSWORD: PASSWORD,
  REDIS_URL: `redis://signal:${PASSWORD}@redis:6379`,
};


/** Sends one command inline (RESP) on a fresh connection and returns Redis's first reply line. */
async function ask(port: number, ...commands: string[]): Promise<string[]> {
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  let text = '';
  socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
  socket.write(commands.map((command) => `${command}\r\n`).join(''));
  const deadline = Date.now() + 5000;
  while (text.split('\r\n').length <= commands.length && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  socket.destroy();
  return text.split('\r\n').slice(0, commands.length);
}

/** Polls the signal process's /readyz until it answers `status`; the last answer. */
async function readyz(port: number, status: number): Promise<{ status: number; text: string }> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const response = await fetch(`http://127.0.0.1:${port}/readyz`);
    const answer = { status: response.status, text: await response.text() };
    if (answer.status === status || Date.now() > deadline) return answer;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('Redis of the scaled profile, from docker-compose.yml', () => {
  let config: ComposeConfig;
  let redis: ComposeService;
  let redisProcess: ChildProcess;
  let port: number;
  let work: string;
  const signals: SignalProcess[] = [];

  beforeAll(async () => {
    config = await composeConfig(await envExampleWith(SCALED));
    redis = config.services.redis!;
    work = await mkdtemp(join(tmpdir(), 'whisper-redis-'));
    // The entrypoint is a file of the repo that compose mounts into the container: run that file.
    const [shell, mounted, ...entrypointArgs] = redis.entrypoint!;
    const script = redis.volumes!.map((volume) => volume.split(':')).find(([, target]) => target === mounted)?.[0];
    if (!script) throw new Error(`no volume mounts ${mounted}`);
    port = await freePort();
    redisProcess = spawn(shell!, [script, ...entrypointArgs, ...redis.command!, '--port', String(port), '--bind', '127.0.0.1'], {
      env: { PATH: process.env.PATH ?? '', ...redis.environment },
      cwd: work,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    await redisReady(redisProcess);
  });
  afterAll(async () => {
    for (const signal of signals) await signal.stop();
    if (redisProcess) await terminate(redisProcess, once(redisProcess, 'exit'), 3000);
    if (work) await rm(work, { recursive: true, force: true });
  });

  /** A signal process with compose's REDIS_URL, aimed at this Redis instead of the service name. */
  const launchWith = (url: string) => {
    const signal = launchSignal({ REDIS_URL: url.replace('@redis:6379', `@127.0.0.1:${port}`) });
    signals.push(signal);
    return signal;
  };

  it('is on a network of its own with signal, which Caddy is not on and which reaches nothing outside', () => {
    const own = networksOf(redis);
    expect(own).toHaveLength(1);
    expect(config.networks?.[own[0]!]?.internal).toBe(true);
    expect(networksOf(config.services.signal!)).toContain(own[0]);
    expect(networksOf(config.services.caddy!)).not.toContain(own[0]);
    // Not root, so the image's own switch to its user (which needs privileges compose drops) is not needed.
    expect(redis.user).toBe('redis');
    expect(redis.cap_drop).toEqual(['ALL']);
  });

  it('keeps what it holds, the replicas’ mailboxes among it, across a restart: an append-only file in a volume of its own', async () => {
    expect(redis.volumes).toContain('redis_data:/data:rw');
    expect(Object.keys(config.volumes ?? {})).toContain('redis_data');
    // Redis writes where it runs: in the container the image's working directory, /data, which is that
    // volume; here a directory of the test's. Nothing in its arguments moves it elsewhere.
    expect(redis.command).not.toContain('--dir');
    const dir = await mkdtemp(join(work, 'data-'));
    const [shell, mounted, ...entrypointArgs] = redis.entrypoint!;
    const script = redis.volumes!.map((volume) => volume.split(':')).find(([, target]) => target === mounted)![0]!;
    const restartPort = await freePort();
    const start = async () => {
      const child = spawn(shell!, [script, ...entrypointArgs, ...redis.command!, '--port', String(restartPort), '--bind', '127.0.0.1'], {
        env: { PATH: process.env.PATH ?? '', ...redis.environment },
        cwd: dir,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      await redisReady(child);
      return child;
    };
    let child = await start();
    try {
      expect(await ask(restartPort, `AUTH signal ${PASSWORD}`, 'HSET whisper:mailbox:kept read abc')).toEqual(['+OK', ':1']);
      // What `docker compose restart` and an upgrade do: SIGTERM, then a new process on the same volume.
      child.kill('SIGTERM');
      await once(child, 'exit');
      child = await start();
      expect(await ask(restartPort, `AUTH signal ${PASSWORD}`, 'HLEN whisper:mailbox:kept')).toEqual(['+OK', ':1']);
    } finally {
      await terminate(child, once(child, 'exit'), 3000);
    }
  });

  it('refuses a client that has not logged in, and a wrong password, before any command', async () => {
    expect(await ask(port, 'PING', 'PUBLISH whisper:node:x frame', 'GET whisper:room:x')).toEqual(Array(3).fill('-NOAUTH Authentication required.'));
    expect(await ask(port, 'AUTH signal wrong', 'PING')).toEqual(['-WRONGPASS invalid username-password pair or user is disabled.', '-NOAUTH Authentication required.']);
    expect(await ask(port, `AUTH default ${PASSWORD}`)).toEqual(['-WRONGPASS invalid username-password pair or user is disabled.']);
    expect(await ask(port, `AUTH signal ${PASSWORD}`, 'PING')).toEqual(['+OK', '+PONG']);
  });

  it('keeps the password off its command line', async () => {
    expect(await readFile(`/proc/${redisProcess.pid}/cmdline`, 'utf8')).not.toContain(PASSWORD);
  });

  it('serves a signal process with compose’s REDIS_URL, which never logs the password', async () => {
    const signal = launchWith(config.services.signal!.environment!.REDIS_URL!);
    const signalPort = await signal.listening;
    expect(await readyz(signalPort, 200)).toMatchObject({ status: 200 });
    const [client, welcome] = await TestClient.join(`ws://127.0.0.1:${signalPort}/ws`, randomRoom(), 'Ada');
    expect(welcome.type).toBe('welcome');
    client.close();
    const { stdout, stderr } = await signal.stop();
    expect(stdout).toContain('"redis":true');
    expect(`${stdout}${stderr}`).not.toContain(PASSWORD);
  });

  it('leaves a signal process with a wrong password not ready, saying so without the password', async () => {
    const wrong = randomBytes(32).toString('hex');
    const signal = launchWith(`redis://signal:${wrong}@redis:6379`);
    const signalPort = await signal.listening;
    expect(await readyz(signalPort, 503)).toEqual({ status: 503, text: 'not ready: redis unavailable' });
    const { stdout, stderr } = await signal.stop();
    expect(`${stdout}${stderr}`).toContain('WRONGPASS');
    expect(`${stdout}${stderr}`).not.toContain(wrong);
  });

  it('is healthy by its health check only when the check logs in, with the password from the environment', async () => {
    const [kind, escaped] = redis.healthcheck!.test;
    expect(kind).toBe('CMD-SHELL');
    expect(escaped).not.toContain(PASSWORD);
    // `config` prints $ escaped as $$, as in the file; the container's shell gets a single $.
    const command = escaped!.replaceAll('$$', '$');
    // The check as compose runs it, its redis-cli pointed at this Redis's port.
    const bin = join(work, 'bin');
    await mkdir(bin, { recursive: true });
    await writeFile(join(bin, 'redis-cli'), `#!/bin/sh\nexec ${await which('redis-cli')} -p ${port} "$@"\n`);
    await chmod(join(bin, 'redis-cli'), 0o755);
    const check = async (password: string) => {
      const child = spawn('sh', ['-c', command], { env: { PATH: `${bin}:${process.env.PATH ?? ''}`, REDIS_PASSWORD: password }, stdio: 'ignore' });
      const [code] = (await once(child, 'exit')) as [number];
      return code;
    };
    expect(await check(PASSWORD)).toBe(0);
    expect(await check('wrong')).not.toBe(0);
  });
});

async function which(program: string): Promise<string> {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    const path = join(dir, program);
    if (await access(path, constants.X_OK).then(() => true, () => false)) return path;
  }
  throw new Error(`${program} is not on PATH (apt-get install -y redis-server)`);
}
