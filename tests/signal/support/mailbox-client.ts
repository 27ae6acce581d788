/**
 * A mailbox as its owner and a writer use it over HTTP (docs/protocol.md, "Mailbox (server API)"), and a
 * sealed entry made the way the app will: a plaintext padded to a bucket, encrypted (AES-256-GCM here;
 * what matters to the server is only that it cannot read it).
 */
import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import { expect } from 'vitest';

export interface MailboxKeys {
  id: string;
  read: string;
  capability: string;
}

export const newMailboxKeys = (): MailboxKeys => ({
  id: randomBytes(16).toString('base64url'),
  read: randomBytes(32).toString('base64url'),
  capability: randomBytes(32).toString('base64url'),
});

/** base64url(SHA-256(the secret's bytes)), as the owner lists a writer. */
export const writerHash = (secret: string) => createHash('sha256').update(Buffer.from(secret, 'base64url')).digest('base64url');

/** `size` bytes of ciphertext: nonce, AES-256-GCM of `text` padded with zeros, tag. */
export function sealed(text: string, size = 4096): Buffer<ArrayBuffer> {
  const key = randomBytes(32);
  const nonce = randomBytes(12);
  const plain = Buffer.alloc(size - 12 - 16);
  plain.write(text);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  return Buffer.concat([nonce, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
}

export class MailboxClient {
  constructor(
    readonly httpUrl: string,
    readonly keys: MailboxKeys = newMailboxKeys(),
  ) {}

  put(writers: string[], read = this.keys.read): Promise<Response> {
    return fetch(`${this.httpUrl}/mailbox/${this.keys.id}`, {
      method: 'PUT',
      headers: { Authorization: `Bearer ${read}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ writers: writers.map(writerHash) }),
    });
  }

  /** Made with its one writer, the keys' capability. */
  async create(): Promise<this> {
    expect((await this.put([this.keys.capability])).status).toBe(201);
    return this;
  }

  deposit(data: Uint8Array<ArrayBuffer>, capability: string | null = this.keys.capability): Promise<Response> {
    return fetch(`${this.httpUrl}/mailbox/${this.keys.id}/entries`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/octet-stream', ...(capability === null ? {} : { Authorization: `Bearer ${capability}` }) },
      body: data,
    });
  }

  /** Asks the server to wake the mailbox's owner with `push` (its fields as JSON; a string as it is). */
  push(push: unknown, capability: string | null = this.keys.capability): Promise<Response> {
    return fetch(`${this.httpUrl}/mailbox/${this.keys.id}/push`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...(capability === null ? {} : { Authorization: `Bearer ${capability}` }) },
      body: typeof push === 'string' ? push : JSON.stringify(push),
    });
  }

  async fetchRaw(read = this.keys.read): Promise<Response> {
    return fetch(`${this.httpUrl}/mailbox/${this.keys.id}/entries`, { headers: { Authorization: `Bearer ${read}` } });
  }

  /** The entries, their data decoded. */
  async entries(): Promise<Array<{ entry: string; at: number; expires: number; data: Buffer }>> {
    const response = await this.fetchRaw();
    expect(response.status).toBe(200);
    const { entries } = (await response.json()) as { entries: Array<{ entry: string; at: number; expires: number; data: string }> };
    return entries.map((e) => ({ ...e, data: Buffer.from(e.data, 'base64url') }));
  }

  delete(entry?: string): Promise<Response> {
    const path = entry === undefined ? '' : `/entries/${entry}`;
    return fetch(`${this.httpUrl}/mailbox/${this.keys.id}${path}`, { method: 'DELETE', headers: { Authorization: `Bearer ${this.keys.read}` } });
  }
}

/** The error code of a refusal. */
export async function errorOf(response: Response): Promise<string> {
  return ((await response.json()) as { error: string }).error;
}
