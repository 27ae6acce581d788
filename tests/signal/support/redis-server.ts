/**
 * A real `redis-server` of the test's own, on a free loopback port, keeping
 * nothing on disk; it can be stopped and started again on the same port
 * (which no other socket can have been given meanwhile: portForRestarts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { portForRestarts } from '../../support/free-port.js';

export class RedisServer {
  #child: ChildProcess | null = null;

  private constructor(readonly port: number) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  static async start(): Promise<RedisServer> {
    // Started again on the same port after a stop: no other socket may have been given the port meanwhile.
    const server = new RedisServer(await portForRestarts());
    await server.start();
    return server;
  }

  /** Starts (again): an empty Redis, as after a restart with no persistence. */
  async start(): Promise<void> {
    const child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.#child = child;
    await redisReady(child);
  }

  async stop(): Promise<void> {
    const child = this.#child;
    this.#child = null;
    if (!child || child.exitCode !== null) return;
    child.kill('SIGKILL');
    await once(child, 'exit');
  }
}

/** Resolves once the redis-server that `child` runs (perhaps through an entrypoint) accepts connections. */
export function redisReady(child: ChildProcess): Promise<void> {
  let output = '';
  return new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) resolve();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('error', (error) => reject(new Error(`redis-server did not start (${error.message}); install it: apt-get install redis-server`)));
    child.once('exit', (code) => reject(new Error(`redis-server exited with ${code}: ${output}`)));
  });
}
