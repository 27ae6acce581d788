/**
 * Runs the real coturn (`turnserver`) from the repository's turnserver.conf,
 * wired as docker-compose.yml wires it (started by deploy/coturn-entrypoint.sh
 * with TURN_SECRET in its environment; --external-ip and --allowed-peer-ip
 * from the same address), with overrides that keep it on
 * loopback for a test: it listens and relays on 127.0.0.1 at a free port,
 * allows loopback peers unless told not to (a deployment denies them), starts no DTLS or
 * CLI listener, and keeps its log, pid file and database in a folder of its own. TLS only
 * when given a certificate (`turnTlsCertificate` makes one), on a port of its own, as a
 * deployment with TURN_TLS_URLS has it.
 *
 * Ready once it answers a STUN Binding request. It refuses to start on a
 * config line coturn does not understand, so a typo in turnserver.conf fails
 * every test that uses it.
 */
import { execFile, spawn } from 'node:child_process';
import { createHash, randomBytes, X509Certificate } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './free-port.js';
import { terminate } from './terminate.js';

export const TURNSERVER_CONF = join(import.meta.dirname, '../../turnserver.conf');
export const COTURN_ENTRYPOINT = join(import.meta.dirname, '../../deploy/coturn-entrypoint.sh');

export interface CoturnProcess {
  /** turnserver's process id (the entrypoint execs it). */
  pid: number;
  host: string;
  port: number;
  /** The TLS port (turns:), when started with a certificate. */
  tlsPort: number | null;
  /** The TURN URLs a signal process hands out for this server, as docker-compose.yml builds TURN_URLS. */
  urls: string[];
  /** coturn's log so far. */
  log(): Promise<string>;
  stop(): Promise<void>;
}

const LOOPBACK = '127.0.0.1';
/**
 * The private network namespace's own address (tests/support/in-private-network.sh). Firefox gathers no
 * loopback candidates and reaches no TURN server on loopback, so the suites with Firefox run coturn here.
 */
export const NAMESPACE_ADDRESS = '10.231.0.1';
const READY_TIMEOUT_MS = 10_000;

export interface CoturnOptions {
  /** The relay ports (--min-port, --max-port); coturn's default range unless set. */
  relayPorts?: [number, number];
  /** Relay to loopback peers too (default), which tests on loopback need and a deployment denies. */
  loopbackPeers?: boolean;
  /** Listen for TLS too (turns:), with this certificate and key, as turnserver.conf's cert and pkey. */
  tls?: TurnTlsCertificate;
  /** The listening port, for a coturn started again where the one before it was (free-port.ts's ports may be). */
  port?: number;
}

export interface TurnTlsCertificate {
  /** PEM files. */
  certificate: string;
  key: string;
  /** base64 SHA-256 of the certificate's public key: what Chromium's --ignore-certificate-errors-spki-list takes. */
  spki: string;
}

/**
 * A self-signed certificate for the address (an IP address: coturn is reached by it), made with openssl
 * in `dir`, as certbot's fullchain.pem and privkey.pem would be for a name.
 */
export async function turnTlsCertificate(dir: string, address = LOOPBACK): Promise<TurnTlsCertificate> {
  const certificate = join(dir, 'fullchain.pem');
  const key = join(dir, 'privkey.pem');
  await promisify(execFile)('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1',
    '-keyout', key, '-out', certificate, '-subj', `/CN=${address}`, '-addext', `subjectAltName=IP:${address}`,
  ]).catch((error: { stderr?: string; message: string }) => {
    throw new Error(`openssl could not make a certificate (apt-get install -y openssl): ${error.stderr || error.message}`);
  });
  const publicKey = new X509Certificate(await readFile(certificate)).publicKey.export({ type: 'spki', format: 'der' });
  return { certificate, key, spki: createHash('sha256').update(publicKey).digest('base64') };
}

export async function launchCoturn(secret: string, host = LOOPBACK, { relayPorts, loopbackPeers = true, tls, port: listeningPort }: CoturnOptions = {}): Promise<CoturnProcess> {
  const port = listeningPort ?? (await freePort(host));
  let tlsPort: number | null = null;
  while (tls && (tlsPort === null || tlsPort === port)) tlsPort = await freePort(host);
  const dir = await mkdtemp(join(tmpdir(), 'whisper-coturn-'));
  const logFile = join(dir, 'turnserver.log');
  const child = spawn(
    'sh',
    [
      COTURN_ENTRYPOINT,
      // As docker-compose.yml, with TURN_EXTERNAL_IP=127.0.0.1:
      `--external-ip=${host}`,
      `--allowed-peer-ip=${host}`,
      ...(relayPorts ? [`--min-port=${relayPorts[0]}`, `--max-port=${relayPorts[1]}`] : []),
      // Test only:
      `--listening-ip=${host}`,
      `--relay-ip=${host}`,
      `--listening-port=${port}`,
      ...(loopbackPeers ? ['--allow-loopback-peers'] : []),
      ...(tls ? [`--tls-listening-port=${tlsPort}`, `--cert=${tls.certificate}`, `--pkey=${tls.key}`] : ['--no-tls']),
      '--no-dtls',
      '--no-cli',
      `--log-file=${logFile}`,
      // One file from the first line on (the config's simple-log applies only once the config is read),
      // with sessions in it: who allocated a relay, to which peers, how much went through.
      '--simple-log',
      '--verbose',
      `--pidfile=${join(dir, 'turnserver.pid')}`,
      `--userdb=${join(dir, 'turndb')}`,
    ],
    { env: { PATH: process.env.PATH ?? '', TURN_SECRET: secret, TURN_CONFIG: TURNSERVER_CONF, TURN_RUNTIME_DIR: dir }, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const missing = 'cannot run turnserver (bash tests/support/system-deps.sh turnserver installs it)';
  const spawnFailed = new Promise<never>((_, reject) => child.once('error', (error) => reject(new Error(`${missing}: ${error.message}`))));
  const log = () => readFile(logFile, 'utf8').catch(() => '');

  const stop = async () => {
    await terminate(child, exited, 3000);
    await rm(dir, { recursive: true, force: true });
  };

  try {
    await Promise.race([
      answersStun(host, port),
      spawnFailed,
      exited.then(async (code) => {
        // 127: the shell found no turnserver to exec.
        throw new Error(code === 127 ? `${missing}: ${stderr}` : `turnserver exited with ${code}: ${stderr}\n${await log()}`);
      }),
    ]);
    const problems = (await log()).split('\n').filter((line) => /Bad configuration format|CONFIG ERROR|Unknown argument/i.test(line));
    if (problems.length > 0) throw new Error(`turnserver did not accept its configuration:\n${problems.join('\n')}`);
  } catch (error) {
    await stop();
    throw error;
  }

  return {
    pid: child.pid!,
    host,
    port,
    tlsPort,
    urls: [`turn:${host}:${port}?transport=udp`, `turn:${host}:${port}?transport=tcp`, ...(tlsPort ? [`turns:${host}:${tlsPort}?transport=tcp`] : [])],
    log,
    stop,
  };
}

/** Resolves when a STUN Binding request to the port gets a Binding success response (RFC 5389). */
async function answersStun(host: string, port: number): Promise<void> {
  const socket = createSocket('udp4');
  const transaction = randomBytes(12);
  const request = Buffer.concat([Buffer.from([0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42]), transaction]);
  try {
    await new Promise<void>((resolve, reject) => {
      const deadline = Date.now() + READY_TIMEOUT_MS;
      socket.on('message', (message) => {
        if (message.readUInt16BE(0) === 0x0101 && message.subarray(8, 20).equals(transaction)) resolve();
      });
      const ask = () => {
        if (Date.now() > deadline) return reject(new Error(`turnserver did not answer STUN on ${host}:${port} within ${READY_TIMEOUT_MS} ms`));
        socket.send(request, port, host);
        timer = setTimeout(ask, 100);
      };
      let timer = setTimeout(ask, 0);
      socket.once('close', () => clearTimeout(timer));
    });
  } finally {
    socket.close();
  }
}
