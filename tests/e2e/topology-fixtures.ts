/**
 * Playwright fixtures for the self-hosted topology, wired as docker-compose.yml
 * wires it but with the real programs run natively on loopback, inside the
 * browser suites' private network: coturn from turnserver.conf, the signal
 * process with TURN set up (the same secret), and Caddy from the Caddyfile in
 * LAN mode (its own certificate authority) in front of it. Each worker runs
 * one such deployment and opens the app at Caddy's HTTPS origin.
 *
 * The browser accepts Caddy's certificate by its key, for this deployment
 * only, as a phone does once it has installed Caddy's root: pages get a secure
 * context, so the service worker, camera and microphone work as deployed.
 */
import { test as base, expect } from '@playwright/test';
import { createHash, randomBytes, X509Certificate } from 'node:crypto';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { launchCaddy } from '../support/caddy-process.js';
import { launchCoturn } from '../support/coturn-process.js';
import { launchSignal } from '../support/signal-process.js';

export interface Deployment {
  /** Where people open Whisper: Caddy's HTTPS origin. */
  origin: string;
  /** base64 SHA-256 of the public key of the certificate Caddy serves. */
  certificateKey: string;
}

export const test = base.extend<object, { deployment: Deployment }>({
  deployment: [
    // eslint-disable-next-line no-empty-pattern
    async ({}, use) => {
      const secret = randomBytes(32).toString('hex');
      const coturn = await launchCoturn(secret);
      const signal = launchSignal({ STATIC_DIR: join(import.meta.dirname, '../../dist'), TURN_SECRET: secret, TURN_URLS: coturn.urls.join(',') });
      const caddy = await launchCaddy(await signal.listening);
      await use({ origin: caddy.origin, certificateKey: await servedCertificateKey(caddy.origin, caddy.rootCertificate) });
      await caddy.stop();
      await signal.stop();
      await coturn.stop();
    },
    { scope: 'worker' },
  ],
  launchOptions: [
    async ({ launchOptions, deployment }, use) => {
      await use({ ...launchOptions, args: [...(launchOptions.args ?? []), `--ignore-certificate-errors-spki-list=${deployment.certificateKey}`] });
    },
    { scope: 'worker' },
  ],
});

/** The key of the certificate the origin serves, after checking that it chains to Caddy's root. */
export function servedCertificateKey(origin: string, rootCertificate: string): Promise<string> {
  const { hostname, port } = new URL(origin);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port), ca: rootCertificate }, () => {
      const certificate: X509Certificate = socket.getPeerX509Certificate()!;
      socket.end();
      resolve(createHash('sha256').update(certificate.publicKey.export({ type: 'spki', format: 'der' })).digest('base64'));
    });
    socket.once('error', reject);
  });
}

export { expect };
