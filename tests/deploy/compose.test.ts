/**
 * docker-compose.yml as the compose tool reads it: what runs, what is reachable
 * from outside, and that signal and coturn are wired to each other.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import ipaddr from 'ipaddr.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { readConfig } from '../../signal/config.js';
import { REPO, composeConfig, envExampleWith, networksOf, type ComposeConfig, type ComposeService } from './compose-config.js';

const SECRET = randomBytes(32).toString('hex');
const EXTERNAL_IP = '203.0.113.7';

/** A domain deployment, filled in as README tells. */
const DOMAIN_SETTINGS = {
  WHISPER_MODE: 'domain',
  WHISPER_ADDRESS: 'chat.example.org',
  TURN_SECRET: SECRET,
  TURN_EXTERNAL_IP: EXTERNAL_IP,
  TURN_MIN_PORT: '50000',
  TURN_MAX_PORT: '50099',
  VAPID_SUBJECT: 'mailto:ops@example.org',
};

function published(service: ComposeService): string[] {
  return (service.ports ?? []).map((port) => `${port.published}:${port.target}/${port.protocol ?? 'tcp'}`);
}


/** Settings of the signal process that compose passes on from .env, each with a value other than its default. */
const ADDRESS_SETTINGS = {
  CONNECTIONS_PER_ADDRESS: '50',
  NEW_CONNECTIONS_PER_MINUTE: '90',
  JOINS_PER_MINUTE: '60',
  TURN_CREDENTIALS_PER_HOUR: '120',
  PUSHES_PER_ADDRESS_PER_MINUTE: '60',
  CONNECTIONS_PER_56: '200',
  CONNECTIONS_PER_48: '800',
  NEW_CONNECTIONS_PER_MINUTE_PER_56: '180',
  NEW_CONNECTIONS_PER_MINUTE_PER_48: '360',
  TURN_CREDENTIALS_PER_HOUR_PER_56: '240',
  TURN_CREDENTIALS_PER_HOUR_PER_48: '480',
  MAX_AWAY_SESSIONS: '5000',
  MAX_ROOMS: '2000',
  MAX_PENDING_SIGNAL_BYTES: '33554432',
  METRICS_ALLOW: '10.8.0.0/24',
  METRICS_PORT: '9100',
};

/** The mailbox settings compose passes on from .env, each with a value other than its default. */
const MAILBOX_SETTINGS = {
  MAILBOX_TTL_SECONDS: '86400',
  MAILBOX_ENTRIES_PER_MAILBOX: '200',
  MAILBOX_BYTES_PER_MAILBOX: '1048576',
  MAILBOX_MAX_BYTES: '268435456',
  MAILBOX_IDLE_DAYS: '90',
  MAILBOX_DEPOSITS_PER_MINUTE: '60',
  MAILBOX_FETCHES_PER_MINUTE: '300',
};

describe('docker-compose.yml', () => {
  let config: ComposeConfig;
  let signal: ComposeService;
  let caddy: ComposeService;
  let coturn: ComposeService;
  beforeAll(async () => {
    config = await composeConfig(await envExampleWith(DOMAIN_SETTINGS));
    ({ signal, caddy, coturn } = config.services as Record<'signal' | 'caddy' | 'coturn', ComposeService>);
  });

  it('refuses to start without a TURN secret, saying which setting is missing', async () => {
    await Promise.all([
      expect(composeConfig(await readFile(join(REPO, '.env.example'), 'utf8'))).rejects.toThrow(/set TURN_SECRET in \.env/),
      expect(composeConfig(await envExampleWith({ ...DOMAIN_SETTINGS, TURN_EXTERNAL_IP: '' }))).rejects.toThrow(/set TURN_EXTERNAL_IP in \.env/),
      expect(composeConfig(await envExampleWith({ ...DOMAIN_SETTINGS, WHISPER_MODE: '' }))).rejects.toThrow(/set WHISPER_MODE in \.env/),
      expect(composeConfig(await envExampleWith({ ...DOMAIN_SETTINGS, VAPID_SUBJECT: '' }))).rejects.toThrow(/set VAPID_SUBJECT in \.env/),
    ]);
  });

  it('runs signal, Caddy and coturn (Redis only in the scaled profile), each restarted after a crash or a reboot', () => {
    const always = Object.entries(config.services).filter(([, service]) => !service.profiles?.length);
    expect(always.map(([name]) => name).sort()).toEqual(['caddy', 'coturn', 'signal']);
    expect(config.services.redis?.profiles).toEqual(['scaled']);
    for (const service of Object.values(config.services)) expect(service.restart).toBe('unless-stopped');
  });

  it('scaled profile: Redis, unpublished, shared by the signal replicas when REDIS_URL names it (its password: redis.test.ts)', async () => {
    const redis = config.services.redis!;
    expect(redis.ports ?? []).toEqual([]);
    expect(signal.environment?.REDIS_URL).toBe('');
    const scaled = await composeConfig(await envExampleWith({ ...DOMAIN_SETTINGS, REDIS_PASSWORD: 'pw', REDIS_URL: 'redis://signal:pw@redis:6379' }));
    expect(scaled.services.signal?.environment?.REDIS_URL).toBe('redis://signal:pw@redis:6379');
    // Replicas need a name the compose network resolves to all of them, and no fixed container name.
    expect(Object.keys(scaled.services.signal!)).not.toContain('container_name');
  });

  it('is reachable from outside only through Caddy (HTTP, HTTPS, HTTP/3, LAN port) and coturn', () => {
    expect(published(caddy).sort()).toEqual(['443:443/tcp', '443:443/udp', '80:80/tcp', '8080:8080/tcp', '8080:8080/udp'].sort());
    expect(signal.ports ?? []).toEqual([]);
    expect(signal.network_mode).toBeUndefined();
    expect(signal.expose).toEqual(['8080']);
    // coturn needs its relay port range on the host's own addresses; it is the only service there.
    expect(coturn.network_mode).toBe('host');
    expect(caddy.network_mode).toBeUndefined();
  });

  it('checks the health of every service, and starts Caddy once signal is healthy', () => {
    expect(caddy.healthcheck?.test).toEqual(['CMD', 'wget', '-q', '-O', '/dev/null', 'http://localhost:2019/config/']);
    expect(coturn.healthcheck?.test).toEqual(['CMD', 'timeout', '3', 'turnutils_stunclient', '127.0.0.1']);
    // signal's health check is the image's HEALTHCHECK (Dockerfile), which compose must not turn off.
    expect(signal.build?.context).toBe(REPO);
    expect(signal.healthcheck?.disable).not.toBe(true);
    expect(caddy.depends_on).toEqual({ signal: { condition: 'service_healthy' } });
  });

  it('gives signal and coturn the same TURN secret, from the one TURN_SECRET setting, in their environments and on no command line', async () => {
    expect(signal.environment?.TURN_SECRET).toBe(SECRET);
    expect(coturn.environment?.TURN_SECRET).toBe(SECRET);
    expect([...coturn.entrypoint!, ...coturn.command!].join(' ')).not.toContain(SECRET);
    // The entrypoint writes it into coturn's config, on a tmpfs (tests/deploy/coturn.test.ts runs it).
    expect(coturn.entrypoint).toEqual(['sh', '/etc/coturn/entrypoint.sh']);
    expect(coturn.volumes).toContain(`${join(REPO, 'deploy/coturn-entrypoint.sh')}:/etc/coturn/entrypoint.sh:ro`);
    const entrypoint = await readFile(join(REPO, 'deploy/coturn-entrypoint.sh'), 'utf8');
    expect(entrypoint).toContain('runtime=${TURN_RUNTIME_DIR:-/run/coturn}');
    expect(coturn.tmpfs).toEqual(['/run/coturn']);
  });

  it('points the TURN URLs that signal hands out at coturn: its address and port, over UDP and TCP', async () => {
    const urls = signal.environment!.TURN_URLS!.split(',').filter((url) => url !== '');
    expect(urls).toEqual([`turn:${EXTERNAL_IP}:3478?transport=udp`, `turn:${EXTERNAL_IP}:3478?transport=tcp`]);
    expect(coturn.command).toContain(`--external-ip=${EXTERNAL_IP}`);
    // coturn listens on its default port, 3478: the repo's config, which the entrypoint starts from, does not move it.
    expect(coturn.volumes).toContain(`${join(REPO, 'turnserver.conf')}:/etc/coturn/turnserver.conf:ro`);
    expect(await readFile(join(REPO, 'deploy/coturn-entrypoint.sh'), 'utf8')).toContain('config=${TURN_CONFIG:-/etc/coturn/turnserver.conf}');
    expect(await readFile(join(REPO, 'turnserver.conf'), 'utf8')).not.toMatch(/^\s*(listening-port|alt-listening-port)\s*=/m);

    const withTls = await composeConfig(await envExampleWith({ ...DOMAIN_SETTINGS, TURN_TLS_URLS: 'turns:chat.example.org:5349?transport=tcp' }));
    expect(withTls.services.signal!.environment!.TURN_URLS!.split(',')).toContain('turns:chat.example.org:5349?transport=tcp');
  });

  it('relays through the port range of the settings, and only to public addresses and its own', () => {
    expect(coturn.command).toEqual(expect.arrayContaining(['--min-port=50000', '--max-port=50099', `--allowed-peer-ip=${EXTERNAL_IP}`]));
    expect(coturn.command!.some((arg) => arg.includes('allow-loopback-peers'))).toBe(false);
  });

  it('runs a pinned coturn of 4.9 or later, and a pinned Caddy 2', () => {
    const [, major, minor] = /^coturn\/coturn:(\d+)\.(\d+)\.\d+(-r\d+)?$/.exec(coturn.image ?? '') ?? [];
    expect(coturn.image, 'coturn/coturn:X.Y.Z').toMatch(/^coturn\/coturn:/);
    expect(Number(major) * 100 + Number(minor)).toBeGreaterThanOrEqual(409);
    expect(caddy.image).toMatch(/^caddy:2\.\d+\.\d+(-alpine)?$/);
  });

  it('hands Caddy the repo Caddyfile, the mode and address of the settings, signal as upstream, and keeps its certificates in volumes', () => {
    expect(caddy.volumes).toEqual(
      expect.arrayContaining([`${join(REPO, 'Caddyfile')}:/etc/caddy/Caddyfile:ro`, `${join(REPO, 'lan-ca')}:/etc/caddy/lan-ca:ro`, 'caddy_data:/data:rw', 'caddy_config:/config:rw']),
    );
    expect(caddy.environment).toEqual({ WHISPER_MODE: 'domain', WHISPER_ADDRESS: 'chat.example.org', WHISPER_UPSTREAM_HOST: 'signal', WHISPER_UPSTREAM_PORT: '8080' });
    expect(Object.keys(config.volumes ?? {}).sort()).toEqual(['caddy_config', 'caddy_data', 'redis_data', 'signal_data']);
  });

  it('runs signal without privileges and on a read-only file system, but for the volume that keeps its VAPID keys and its mailboxes', () => {
    expect(signal.read_only).toBe(true);
    expect(signal.volumes).toEqual(['signal_data:/data:rw']);
    // The server keeps them under DATA_DIR (its mailboxes in DATA_DIR/mailbox): in the volume, across restarts.
    expect(readConfig(signal.environment).dataDir).toBe('/data');
    expect(signal.environment).toMatchObject({ DATA_DIR: '/data', VAPID_SUBJECT: 'mailto:ops@example.org', VAPID_PUBLIC_KEY: '', VAPID_PRIVATE_KEY: '' });
    expect(signal.cap_drop).toEqual(['ALL']);
    expect(signal.security_opt).toEqual(['no-new-privileges:true']);
  });

  it('lets signal believe X-Forwarded-For from Caddy’s fixed address only, which no other container can be given', () => {
    const ipam = config.networks?.default?.ipam?.config ?? [];
    expect(ipam).toHaveLength(1);
    const { subnet, ip_range: range } = ipam[0] as { subnet: string; ip_range?: string };
    expect(ipaddr.parseCIDR(subnet)[0].range()).toBe('private');
    const caddyAddress = ipaddr.parse((caddy.networks as Record<string, { ipv4_address?: string }>).default!.ipv4_address!);
    expect(caddyAddress.match(ipaddr.parseCIDR(subnet))).toBe(true);
    // The other containers are handed addresses from ip_range, which leaves Caddy's out, and so does the gateway (the subnet's first).
    expect(caddyAddress.match(ipaddr.parseCIDR(range!))).toBe(false);
    expect(signal.environment?.TRUSTED_PROXIES).toBe(`${caddyAddress.toString()}/32`);
    // Metrics: the other containers (a Prometheus beside them), neither Caddy nor the gateway.
    expect(signal.environment?.METRICS_ALLOW).toBe(range);
    // Redis is on a network of its own (redis.test.ts); the one Caddy and signal share is theirs alone.
    expect(networksOf(caddy)).toEqual(['default']);
    expect(networksOf(signal)).toContain('default');
    expect(networksOf(config.services.redis!)).not.toContain('default');
    // As the server reads it: Caddy is its only trusted proxy.
    expect(readConfig(signal.environment).trustedProxies).toEqual([`${caddyAddress.toString()}/32`]);
  });

  it('leaves the per-address limits, the capacity and the metrics settings to the server’s defaults, unless .env sets them', async () => {
    const text = await readFile(join(REPO, '.env.example'), 'utf8');
    for (const name of ['TRUSTED_PROXIES', ...Object.keys(ADDRESS_SETTINGS)]) expect(text, `${name} in .env.example`).toMatch(new RegExp(`^#${name}=`, 'm'));

    const defaults = readConfig({ VAPID_SUBJECT: 'mailto:ops@example.org' });
    const unset = readConfig(signal.environment);
    expect(unset.addressLimits).toEqual(defaults.addressLimits);
    expect(unset.capacity).toEqual(defaults.capacity);
    expect(unset.push?.perAddressPerMinute).toBe(defaults.push!.perAddressPerMinute);
    // But for who may read the metrics: the compose network's other containers (the test above).
    expect(unset.metrics).toEqual({ ...defaults.metrics, allow: [signal.environment!.METRICS_ALLOW] });
    // .env.example states the defaults it leaves commented out.
    const { addressLimits: limits, capacity } = defaults;
    const numbers: Record<string, number> = {
      CONNECTIONS_PER_ADDRESS: limits.connectionsPerAddress,
      NEW_CONNECTIONS_PER_MINUTE: limits.connectionsPerMinute,
      JOINS_PER_MINUTE: limits.joinsPerMinute,
      TURN_CREDENTIALS_PER_HOUR: limits.turnCredentialsPerHour,
      PUSHES_PER_ADDRESS_PER_MINUTE: defaults.push!.perAddressPerMinute,
      CONNECTIONS_PER_56: limits.per56.connections,
      CONNECTIONS_PER_48: limits.per48.connections,
      NEW_CONNECTIONS_PER_MINUTE_PER_56: limits.per56.connectionsPerMinute,
      NEW_CONNECTIONS_PER_MINUTE_PER_48: limits.per48.connectionsPerMinute,
      TURN_CREDENTIALS_PER_HOUR_PER_56: limits.per56.turnCredentialsPerHour,
      TURN_CREDENTIALS_PER_HOUR_PER_48: limits.per48.turnCredentialsPerHour,
      MAX_AWAY_SESSIONS: capacity.maxAwaySessions,
      MAX_ROOMS: capacity.maxRooms,
      MAX_PENDING_SIGNAL_BYTES: capacity.maxPendingBytes,
    };
    const stated = Object.fromEntries([...text.matchAll(/^#([A-Z0-9_]+)=(\d+)$/gm)].filter(([, name]) => name! in numbers).map(([, name, value]) => [name, Number(value)]));
    expect(stated).toEqual(numbers);

    const network = signal.environment!.TRUSTED_PROXIES!;
    const set = await composeConfig(await envExampleWith({ ...DOMAIN_SETTINGS, ...ADDRESS_SETTINGS, TRUSTED_PROXIES: `${network},198.51.100.0/24` }));
    expect(readConfig(set.services.signal!.environment)).toMatchObject({
      trustedProxies: [network, '198.51.100.0/24'],
      addressLimits: {
        connectionsPerAddress: 50,
        connectionsPerMinute: 90,
        joinsPerMinute: 60,
        turnCredentialsPerHour: 120,
        per56: { connections: 200, connectionsPerMinute: 180, turnCredentialsPerHour: 240 },
        per48: { connections: 800, connectionsPerMinute: 360, turnCredentialsPerHour: 480 },
      },
      capacity: { maxAwaySessions: 5000, maxRooms: 2000, maxPendingBytes: 33554432 },
      push: { perAddressPerMinute: 60 },
      metrics: { allow: ['10.8.0.0/24'], port: 9100 },
    });
  });

  it('passes every mailbox setting on from .env, each left to the server’s default (which .env.example states) unless set', async () => {
    // Every MAILBOX_* setting the server reads, this one's and any added later.
    const read = [...(await readFile(join(REPO, 'signal/config.ts'), 'utf8')).matchAll(/^\s+(MAILBOX_[A-Z_]+):/gm)].map(([, name]) => name!);
    expect(read.sort()).toEqual(Object.keys(MAILBOX_SETTINGS).sort());
    for (const name of read) expect(signal.environment?.[name], name).toBe('');

    const defaults = readConfig({ VAPID_SUBJECT: 'mailto:ops@example.org' });
    const unset = readConfig(signal.environment);
    expect(unset.mailbox).toEqual(defaults.mailbox);
    expect(unset.addressLimits).toEqual(defaults.addressLimits);
    const text = await readFile(join(REPO, '.env.example'), 'utf8');
    const stated = Object.fromEntries([...text.matchAll(/^#(MAILBOX_[A-Z_]+)=(\d+)$/gm)].map(([, name, value]) => [name, Number(value)]));
    expect(stated).toEqual({
      MAILBOX_TTL_SECONDS: defaults.mailbox.ttlMs / 1000,
      MAILBOX_ENTRIES_PER_MAILBOX: defaults.mailbox.entriesPerMailbox,
      MAILBOX_BYTES_PER_MAILBOX: defaults.mailbox.bytesPerMailbox,
      MAILBOX_MAX_BYTES: defaults.mailbox.maxBytes,
      MAILBOX_IDLE_DAYS: defaults.mailbox.idleMs / 86_400_000,
      MAILBOX_DEPOSITS_PER_MINUTE: defaults.addressLimits.mailboxDepositsPerMinute,
      MAILBOX_FETCHES_PER_MINUTE: defaults.addressLimits.mailboxFetchesPerMinute,
    });

    const set = await composeConfig(await envExampleWith({ ...DOMAIN_SETTINGS, ...MAILBOX_SETTINGS }));
    expect(readConfig(set.services.signal!.environment)).toMatchObject({
      mailbox: { ttlMs: 86_400_000, entriesPerMailbox: 200, bytesPerMailbox: 1_048_576, maxBytes: 268_435_456, idleMs: 90 * 86_400_000 },
      addressLimits: { mailboxDepositsPerMinute: 60, mailboxFetchesPerMinute: 300 },
    });
  });

  it('works for a home network as .env.example sets it up', async () => {
    const lan = await composeConfig(await envExampleWith({ TURN_SECRET: SECRET, VAPID_SUBJECT: 'mailto:me@example.org' }));
    expect(lan.services.caddy!.environment).toMatchObject({ WHISPER_MODE: 'lan', WHISPER_ADDRESS: 'https://192.168.1.10:8080' });
    expect(lan.services.signal!.environment!.TURN_URLS).toBe('turn:192.168.1.10:3478?transport=udp,turn:192.168.1.10:3478?transport=tcp,');
    expect(lan.services.coturn!.command).toEqual(expect.arrayContaining(['--external-ip=192.168.1.10', '--allowed-peer-ip=192.168.1.10', '--min-port=61000', '--max-port=64999']));
  });
});
