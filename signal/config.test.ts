import { describe, expect, it } from 'vitest';
import { StartupError, readConfig } from './config.js';

describe('readConfig', () => {
  it('has safe defaults: port 8080, same-origin only, no STUN or TURN, two minutes of grace', () => {
    const config = readConfig({});
    expect(config).toMatchObject({
      port: 8080,
      allowedOrigins: [],
      ice: { stunUrls: [], turnUrls: [], turnSecret: null, turnTtlSeconds: 3600 },
      resumeGraceMs: 120_000,
      redisUrl: null,
    });
    expect(config.idleTimeoutSeconds).toBeLessThanOrEqual(30);
  });

  it('counts IPv6 networks with 4 (/56) and 16 (/48) times the connection limits of one address, and 2 and 4 times its TURN credentials, unless told otherwise', () => {
    expect(readConfig({ CONNECTIONS_PER_ADDRESS: '10', TURN_CREDENTIALS_PER_HOUR: '5' }).addressLimits).toMatchObject({
      per56: { connections: 40, connectionsPerMinute: 120, turnCredentialsPerHour: 10 },
      per48: { connections: 160, connectionsPerMinute: 480, turnCredentialsPerHour: 20 },
    });
    expect(readConfig({ CONNECTIONS_PER_56: '25', NEW_CONNECTIONS_PER_MINUTE_PER_48: '1000', TURN_CREDENTIALS_PER_HOUR_PER_48: '999' }).addressLimits).toMatchObject({
      per56: { connections: 25 },
      per48: { connectionsPerMinute: 1000, turnCredentialsPerHour: 999 },
    });
    expect(() => readConfig({ CONNECTIONS_PER_ADDRESS: '30', CONNECTIONS_PER_56: '20' })).toThrow(
      'invalid configuration: CONNECTIONS_PER_56 (20) must be at least CONNECTIONS_PER_ADDRESS (30): an IPv6 network holds the narrower ones',
    );
    expect(() => readConfig({ NEW_CONNECTIONS_PER_MINUTE_PER_56: '500' })).toThrow('NEW_CONNECTIONS_PER_MINUTE_PER_48 (480) must be at least NEW_CONNECTIONS_PER_MINUTE_PER_56 (500)');
    expect(() => readConfig({ CONNECTIONS_PER_48: 'many' })).toThrow('CONNECTIONS_PER_48: must be a number');
  });

  it('caps what a process holds for peers away, and its rooms, by default', () => {
    expect(readConfig({}).capacity).toEqual({ maxAwaySessions: 10_000, maxRooms: 10_000, maxPendingBytes: 64 * 1024 * 1024 });
    expect(readConfig({ MAX_PENDING_SIGNAL_BYTES: '0', MAX_AWAY_SESSIONS: '0' }).capacity).toMatchObject({ maxAwaySessions: 0, maxPendingBytes: 0 });
  });

  it('reads lists and numbers', () => {
    const config = readConfig({ PORT: '9000', STUN_URLS: 'stun:a.example:3478, stun:b.example', ALLOWED_ORIGINS: 'https://a.example,https://b.example:8443' });
    expect(config.port).toBe(9000);
    expect(config.ice.stunUrls).toEqual(['stun:a.example:3478', 'stun:b.example']);
    expect(config.allowedOrigins).toEqual(['https://a.example', 'https://b.example:8443']);
  });

  it('keeps mailbox entries 7 days, 500 and 4 MiB a mailbox, 1 GiB in all, and limits their rates per address, unless set', () => {
    const config = readConfig({});
    expect(config.mailbox).toEqual({ ttlMs: 7 * 86_400_000, entriesPerMailbox: 500, bytesPerMailbox: 4 * 1024 * 1024, maxBytes: 1024 ** 3, idleMs: 30 * 86_400_000 });
    expect(config.addressLimits).toMatchObject({ mailboxDepositsPerMinute: 120, mailboxFetchesPerMinute: 600 });
    expect(readConfig({ MAILBOX_TTL_SECONDS: '2', MAILBOX_DEPOSITS_PER_MINUTE: '5' })).toMatchObject({ mailbox: { ttlMs: 2000 }, addressLimits: { mailboxDepositsPerMinute: 5 } });
  });

  it('shares rooms and mailboxes through Redis only when REDIS_URL is set; alone, keeps its mailboxes under DATA_DIR (./data unless set)', () => {
    expect(readConfig({}).dataDir).toBe('data');
    expect(readConfig({ DATA_DIR: '/data' }).dataDir).toBe('/data');
    expect(() => readConfig({ DATA_DIR: '' })).toThrow('DATA_DIR');
    expect(readConfig({ REDIS_URL: '' }).redisUrl).toBeNull();
    expect(readConfig({ REDIS_URL: ' redis://:secret@redis:6379/0 ' }).redisUrl).toBe('redis://:secret@redis:6379/0');
  });

  it('limits pushes per connection, endpoint and address: 6, and 30 a minute from one address, unless set', () => {
    const subject = { VAPID_SUBJECT: 'mailto:ops@whisper.example' };
    expect(readConfig(subject).push).toMatchObject({ perMinute: 6, perAddressPerMinute: 30, timeoutMs: 10_000 });
    expect(readConfig({ ...subject, PUSHES_PER_ADDRESS_PER_MINUTE: '120' }).push?.perAddressPerMinute).toBe(120);
    expect(() => readConfig({ ...subject, PUSHES_PER_ADDRESS_PER_MINUTE: '0' })).toThrow('PUSHES_PER_ADDRESS_PER_MINUTE: must be at least 1');
  });

  it.each([
    [{ PORT: 'eighty' }, 'PORT: must be a number'],
    [{ PORT: '70000' }, 'PORT: must be at most 65535'],
    [{ TURN_TTL_SECONDS: '86400' }, 'TURN_TTL_SECONDS: must be at most 3600'],
    [{ TURN_SECRET: 'x' }, 'TURN_SECRET and TURN_URLS must be set together'],
    [{ TURN_URLS: 'https://turn.example' }, 'TURN_URLS: every URL must start with turn: or turns:'],
    [{ ALLOWED_ORIGINS: 'https://a.example/path' }, 'ALLOWED_ORIGINS: each entry must be an origin'],
    [{ LOG_LEVEL: 'chatty' }, 'LOG_LEVEL'],
    [{ REDIS_URL: 'redis:6379' }, 'REDIS_URL: must be a redis:// or rediss:// URL'],
    [{ REDIS_URL: 'http://redis:6379' }, 'REDIS_URL: must be a redis:// or rediss:// URL'],
    [{ MAILBOX_TTL_SECONDS: '1209601' }, 'MAILBOX_TTL_SECONDS: must be at most 1209600'],
    [{ MAILBOX_BYTES_PER_MAILBOX: '1000' }, 'MAILBOX_BYTES_PER_MAILBOX: must be at least 65536'],
    [{ MAILBOX_MAX_BYTES: '1048576' }, 'MAILBOX_MAX_BYTES must be at least MAILBOX_BYTES_PER_MAILBOX'],
  ])('refuses %o with a clear message', (env, message) => {
    expect(() => readConfig(env)).toThrow(StartupError);
    expect(() => readConfig(env)).toThrow(message);
  });
});
