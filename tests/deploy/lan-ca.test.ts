/**
 * The certificate authority that phones install in LAN mode (deploy/lan-ca.sh;
 * README, "Trusting the certificate on your devices"), limited by X.509 name
 * constraints to Whisper's LAN address. The real Caddy runs from the repo's
 * Caddyfile (tests/support/caddy-process.ts) and signs with it; certificates
 * are checked by OpenSSL through node:tls, with the root as the only trusted
 * one, as on a phone that installed it.
 */
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { createServer as createHttpServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, createServer as createTlsServer, type PeerCertificate } from 'node:tls';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LAN_CA_SCRIPT, launchCaddy, makeLanAuthority, type CaddyProcess } from '../support/caddy-process.js';

const run = promisify(execFile);
const LAN_ADDRESS = '127.0.0.1';

type Verdict = { trusted: true } | { trusted: false; reason: string };

/** Connects to host:port trusting `root` alone, as a phone that installed it, and says whether the certificate verified. */
function verify(host: string, port: number, root: string, servername?: string): Promise<Verdict> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, ca: root, servername }, () => {
      socket.end();
      resolve({ trusted: true });
    });
    socket.once('error', (error) => resolve({ trusted: false, reason: error.message }));
  });
}

describe('the home network’s certificate authority, in Caddy', () => {
  let upstream: Server;
  let proxy: CaddyProcess;
  let work: string;
  beforeAll(async () => {
    // Caddy needs an upstream to start; these tests only look at its certificates.
    upstream = createHttpServer((_, res) => res.end('ok'));
    await new Promise<void>((resolve) => upstream.listen(0, LAN_ADDRESS, resolve));
    proxy = await launchCaddy((upstream.address() as { port: number }).port);
    work = await mkdtemp(join(tmpdir(), 'whisper-lan-ca-'));
  });
  afterAll(async () => {
    await proxy?.stop();
    upstream?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  /**
   * A certificate for `name` (DNS:… or IP:…) signed with a key of this deployment's, as whoever read that
   * key could make one, served by a TLS server of the test's own on `host`.
   */
  const impersonate = async (name: string, host: string, signer: { certificate: string; key: string }) => {
    const file = join(work, name.replace(/\W/g, '_'));
    await run('openssl', [
      'req', '-x509', '-CA', signer.certificate, '-CAkey', signer.key, '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
      '-keyout', `${file}.key`, '-out', `${file}.crt`, '-days', '1', '-subj', '/CN=impostor',
      '-addext', `subjectAltName=${name}`, '-addext', 'basicConstraints=critical,CA:FALSE', '-addext', 'extendedKeyUsage=serverAuth',
    ]);
    const server = createTlsServer({ cert: await readFile(`${file}.crt`), key: await readFile(`${file}.key`) }, (socket) => socket.end());
    await new Promise<void>((resolve) => server.listen(0, host, resolve));
    const { port } = server.address() as { port: number };
    return { port, close: () => server.close() };
  };
  const root = () => ({ certificate: join(proxy.authority.dir, 'root.crt'), key: join(proxy.authority.dir, 'root.key') });
  // What the caddy_data volume holds: the intermediate Caddy made and signs with.
  const intermediate = () => {
    const dir = join(proxy.storage, 'pki/authorities/whisper');
    return { certificate: join(dir, 'intermediate.crt'), key: join(dir, 'intermediate.key') };
  };

  it('limits the root, in a critical extension, to the LAN address and to no real name', async () => {
    const { stdout } = await run('openssl', ['x509', '-in', root().certificate, '-noout', '-ext', 'basicConstraints,nameConstraints']);
    expect(stdout).toMatch(/X509v3 Basic Constraints: critical\n\s+CA:TRUE, pathlen:1\n/);
    // Only names under .invalid (which never exists) and no other address: nothing real but the LAN address.
    expect(stdout).toMatch(/X509v3 Name Constraints: critical\n\s+Permitted:\n\s+IP:127\.0\.0\.1\/255\.255\.255\.255\n\s+DNS:invalid\n\s+email:invalid\n$/);
  });

  it('serves a chain that verifies against that root for the LAN address, and hands out that very root at /whisper-root.crt', async () => {
    expect(proxy.rootCertificate).toBe(proxy.authority.certificate);
    const chain = await new Promise<PeerCertificate[]>((resolve, reject) => {
      const socket = connect({ host: LAN_ADDRESS, port: proxy.port, ca: proxy.authority.certificate }, () => {
        const certificates: PeerCertificate[] = [];
        for (let certificate = socket.getPeerCertificate(true); ; certificate = certificate.issuerCertificate) {
          certificates.push(certificate);
          if (certificate.issuerCertificate === certificate || !certificate.issuerCertificate) break;
        }
        socket.end();
        resolve(certificates);
      });
      socket.once('error', reject);
    });
    expect(chain[0]!.subjectaltname).toBe(`IP Address:${LAN_ADDRESS}`);
    expect(chain.at(-1)!.fingerprint256).toBe(new X509Certificate(proxy.authority.certificate).fingerprint256);
  });

  it('rejects a certificate for another name or address, though signed with the root’s own key', async () => {
    const control = await impersonate(`IP:${LAN_ADDRESS}`, LAN_ADDRESS, root());
    const bank = await impersonate('DNS:bank.example', LAN_ADDRESS, root());
    const otherAddress = await impersonate('IP:127.0.0.2', '127.0.0.2', root());
    try {
      // Made the same way, for the LAN address: trusted, so what fails below fails for its name.
      expect(await verify(LAN_ADDRESS, control.port, proxy.authority.certificate)).toEqual({ trusted: true });
      expect(await verify(LAN_ADDRESS, bank.port, proxy.authority.certificate, 'bank.example')).toEqual({ trusted: false, reason: 'permitted subtree violation' });
      expect(await verify('127.0.0.2', otherAddress.port, proxy.authority.certificate)).toEqual({ trusted: false, reason: 'permitted subtree violation' });
    } finally {
      for (const server of [control, bank, otherAddress]) server.close();
    }
  });

  it('rejects a certificate for another name signed with the intermediate key Caddy keeps in its storage', async () => {
    const bank = await impersonate('DNS:bank.example', LAN_ADDRESS, intermediate());
    try {
      // The phone has the root; the impostor sends the intermediate along, as Caddy does.
      const chain = `${await readFile(intermediate().certificate, 'utf8')}${proxy.authority.certificate}`;
      expect(await verify(LAN_ADDRESS, bank.port, chain, 'bank.example')).toEqual({ trusted: false, reason: 'permitted subtree violation' });
    } finally {
      bank.close();
    }
  });

  it('is made once: the key readable by its owner alone, and never replaced by running the script again', async () => {
    expect((await stat(root().key)).mode & 0o777).toBe(0o600);
    expect((await stat(root().certificate)).mode & 0o777).toBe(0o644);
    const again = await run('sh', [LAN_CA_SCRIPT, LAN_ADDRESS, proxy.authority.dir]).then(
      () => 'replaced',
      (error: { code: number; stderr: string }) => `${error.code}: ${error.stderr}`,
    );
    expect(again).toMatch(/^1: .* already holds an authority: keeping it/);
    expect(await readFile(root().certificate, 'utf8')).toBe(proxy.authority.certificate);
  });

  it('limits an authority for a LAN name to that name and no address at all', async () => {
    const named = await makeLanAuthority('https://nas.home.arpa:8080', join(work, 'named'));
    const { stdout } = await run('openssl', ['x509', '-in', join(named.dir, 'root.crt'), '-noout', '-ext', 'nameConstraints']);
    expect(stdout).toMatch(/critical\n\s+Permitted:\n\s+DNS:nas\.home\.arpa\n\s+email:invalid\n\s+Excluded:\n\s+IP:0\.0\.0\.0\/0\.0\.0\.0\n\s+IP:0:0:0:0:0:0:0:0\/0:0:0:0:0:0:0:0\n$/);
  });
});
