/**
 * Wires one signal process: uWebSockets.js transport -> protocol handlers ->
 * room state, plus static serving of the app and the ops endpoints.
 */
import { join } from 'node:path';
import uWS, { type us_listen_socket } from 'uWebSockets.js';
import type { Logger } from 'pino';
import type { SignalConfig } from './config.js';
import type { HandlerContext } from './handlers/context.js';
import { MAX_MESSAGE_BYTES } from './protocol/limits.js';
import { SignalMetrics } from './ops/metrics.js';
import { attachOpsRoutes, attachPublicHealth } from './ops/ops-routes.js';
import { LocalAddressLimits, type AddressLimiter } from './limits/address-limits.js';
import { RedisAddressLimits } from './limits/redis-address-limits.js';
import { refusalReporter } from './limits/refusal-report.js';
import { AddressList } from './transport/client-address.js';
import { LocalRoomBus } from './rooms/local-room-bus.js';
import { RedisRoomBus } from './rooms/redis-room-bus.js';
import { RoomRegistry } from './rooms/room-registry.js';
import { reportRelayFailure } from './handlers/signal.js';
import { offerTurn } from './handlers/join.js';
import { StaticSite } from './transport/static-site.js';
import { WebSocketRoute } from './transport/websocket-route.js';
import { respondText } from './transport/http-response.js';
import { IceServerIssuer } from './turn/ice-servers.js';
import { PushSender } from './push/push-sender.js';
import { VapidKeys } from './push/vapid.js';
import { roomTag } from './log.js';
import type { MailboxStore } from './mailbox/mailbox-store.js';
import { MailboxService } from './mailbox/mailbox-service.js';
import { LevelMailboxStore } from './mailbox/level-mailbox-store.js';
import { RedisMailboxStore } from './mailbox/redis-mailbox-store.js';
import { attachMailboxRoute } from './transport/mailbox-route.js';

export interface SignalServer {
  readonly port: number;
  readonly metrics: SignalMetrics;
  /** Graceful shutdown: stop accepting, ask clients to reconnect (1012), wait for them to go. */
  close(): Promise<void>;
  /**
   * Reads the built app from disk again (SIGHUP): a new release of the app is
   * served without dropping a single WebSocket. On failure the old files stay.
   */
  reloadStaticFiles(): Promise<number>;
}

/** uSockets' LIBUS_LISTEN_EXCLUSIVE_PORT (exported by the native module, missing from its typings). */
const LISTEN_EXCLUSIVE_PORT = 1;

/** Signals kept for a peer that is reconnecting; enough for a renegotiation's candidates. */
const PENDING_SIGNALS_PER_PEER = 64;
/** Their bytes at most: a few offers with their candidates, yet four frames of the largest size. */
const PENDING_SIGNAL_BYTES_PER_PEER = 256 * 1024;

export async function startSignalServer(config: SignalConfig, log: Logger): Promise<SignalServer> {
  let site = config.staticDir === '' ? null : await StaticSite.load(config.staticDir);
  // With REDIS_URL, every process sees the same mailboxes; alone, this process keeps them on disk under DATA_DIR,
  // opened first: a directory another process holds stops the start before anything else is made.
  const mailboxStore: MailboxStore = config.redisUrl
    ? new RedisMailboxStore({ url: config.redisUrl, quotas: config.mailbox })
    : await LevelMailboxStore.open({ dir: join(config.dataDir, 'mailbox'), quotas: config.mailbox });
  const push = config.push ? await startPush(config.push, log) : null;

  let route: WebSocketRoute | null = null;
  // Alone, rooms live in this process; with REDIS_URL, in Redis, shared with the other processes of the service.
  const bus = config.redisUrl
    ? new RedisRoomBus({ url: config.redisUrl, maxRoomSize: config.maxRoomSize, resumeGraceMs: config.resumeGraceMs, log })
    : new LocalRoomBus({ maxRoomSize: config.maxRoomSize });
  const registry = new RoomRegistry({
    bus,
    resumeGraceMs: config.resumeGraceMs,
    pendingLimit: PENDING_SIGNALS_PER_PEER,
    pendingBytesPerPeer: PENDING_SIGNAL_BYTES_PER_PEER,
    ...config.capacity,
    onCapacityRefused: (reason) => metrics.capacityRefusals.inc({ reason }),
    onCompany: (session) => offerTurn(context, session),
    onLeave: (session) => log.debug({ peer: session.id, room: roomTag(session.roomId) }, 'left'),
    onRelayFailed: (session, failure) => reportRelayFailure(context, session, failure),
  });
  // Per client address: in this process, or shared by every process through the rooms' Redis.
  const addresses: AddressLimiter =
    bus instanceof RedisRoomBus
      ? new RedisAddressLimits(config.addressLimits, { url: config.redisUrl!, node: bus.node, deadAfterMs: RedisRoomBus.deadAfterMs, log })
      : new LocalAddressLimits(config.addressLimits);
  const metrics = new SignalMetrics({
    connections: () => route?.connectionCount ?? 0,
    rooms: () => registry.roomCount,
    peers: () => registry.sessionCount,
    peersAway: () => registry.awayCount,
    pendingSignalBytes: () => registry.pendingBytes,
    trackedAddresses: () => addresses.trackedAddresses,
  });
  const trustedProxies = new AddressList(config.trustedProxies);
  metrics.watchMailboxes(() => mailboxStore.totals());
  const mailboxes = new MailboxService({
    store: mailboxStore,
    addresses,
    metrics,
    log,
    allowedOrigins: config.allowedOrigins,
    // The sender of /ws pushes: a writer's push to a mailbox's owner meets the same limits.
    push,
    // Often enough that an entry outlives its expiry by a small part of its life; at most a minute.
    sweepEveryMs: Math.min(60_000, Math.max(250, config.mailbox.ttlMs / 8)),
  });
  const context: HandlerContext = {
    registry,
    metrics,
    log,
    iceServers: new IceServerIssuer(config.ice),
    limits: {
      maxMessageBytes: MAX_MESSAGE_BYTES,
      maxRoomSize: config.maxRoomSize,
      messagesPerSecond: config.messagesPerSecond,
      burst: config.messageBurst,
      resumeGraceMs: config.resumeGraceMs,
    },
    addresses,
    refused: refusalReporter(metrics, log),
    push,
    connections: new WeakMap(),
  };
  route = new WebSocketRoute(
    context,
    {
      allowedOrigins: config.allowedOrigins,
      maxConnections: config.maxConnections,
      idleTimeoutSeconds: config.idleTimeoutSeconds,
      maxBackpressureBytes: config.maxBackpressureBytes,
      connectionLimits: {
        messagesPerSecond: config.messagesPerSecond,
        burst: config.messageBurst,
        strikes: 30,
        strikesForgivenPerSecond: 1,
      },
      trustedProxies,
    },
    log,
  );
  const ws = route;

  let listenSocket: us_listen_socket | null = null;
  let closing: Promise<void> | null = null;
  const app = uWS.App();
  ws.attach(app);
  attachMailboxRoute(app, mailboxes, trustedProxies, log);
  const notReady = (): string | null => {
    if (listenSocket === null || closing !== null) return 'shutting down';
    return bus.unavailable;
  };
  let metricsApp: uWS.TemplatedApp | null = null;
  if (config.metrics.port === null) attachOpsRoutes(app, metrics, notReady, { trustedProxies, metricsAllow: new AddressList(config.metrics.allow) });
  else {
    attachPublicHealth(app, notReady);
    metricsApp = uWS.App();
    attachOpsRoutes(metricsApp, metrics, notReady, null);
    metricsApp.any('/*', (res) => respondText(res, '404 Not Found', 'not found'));
  }
  if (site) {
    app.any('/*', (res, req) => {
      try {
        site!.serve(res, req);
      } catch (error) {
        log.error({ err: error }, 'static request failed');
        respondText(res, '500 Internal Server Error', 'internal error');
      }
    });
  }
  else app.any('/*', (res) => respondText(res, '404 Not Found', 'not found'));

  listenSocket = await new Promise<us_listen_socket>((resolve, reject) => {
    // Exclusive: by default uSockets sets SO_REUSEPORT, and a second process started on the same port would
    // silently take half of the connections (and its own half of every room). uSockets sets SO_REUSEADDR
    // either way, so a restarted process binds at once while the old connections sit in TIME_WAIT.
    const listen = app.listen.bind(app) as unknown as (host: string, port: number, options: number, cb: (socket: us_listen_socket | false) => void) => void;
    listen(config.host, config.port, LISTEN_EXCLUSIVE_PORT, (socket) => {
      if (socket) resolve(socket);
      else reject(new Error(`cannot listen on ${config.host}:${config.port} (in use, or not allowed)`));
    });
  });
  const port = uWS.us_socket_local_port(listenSocket);
  let metricsSocket: us_listen_socket | null = null;
  if (metricsApp) {
    metricsSocket = await new Promise<us_listen_socket>((resolve, reject) => {
      metricsApp!.listen(config.host, config.metrics.port!, (socket) => {
        if (socket) resolve(socket);
        else reject(new Error(`cannot listen for metrics on ${config.host}:${config.metrics.port} (in use, or not allowed)`));
      });
    });
  }
  log.info({ host: config.host, port, runtime: process.version, staticFiles: site?.size ?? 0, metricsPort: config.metrics.port, trustedProxies: config.trustedProxies.length, turn: context.iceServers.issuesTurn, push: push !== null, mailbox: config.redisUrl ? 'redis' : 'leveldb', redis: config.redisUrl !== null, node: bus.node }, 'listening');

  const close = async (): Promise<void> => {
    if (listenSocket) uWS.us_listen_socket_close(listenSocket);
    listenSocket = null;
    if (metricsSocket) uWS.us_listen_socket_close(metricsSocket);
    metricsSocket = null;
    ws.drain();
    const deadline = Date.now() + config.shutdownTimeoutMs;
    while (ws.connectionCount > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    ws.closeAll();
    registry.dispose();
    mailboxes.close();
    await mailboxStore.close();
    await addresses.close();
    push?.close();
    await bus.close();
    log.info('stopped');
  };

  return {
    port,
    metrics,
    close: () => (closing ??= close()),
    async reloadStaticFiles() {
      if (!site) return 0;
      site = await StaticSite.load(config.staticDir);
      log.info({ staticFiles: site.size }, 'static files reloaded');
      return site.size;
    },
  };
}

async function startPush(settings: NonNullable<SignalConfig['push']>, log: Logger): Promise<PushSender> {
  const { keys, created } = await VapidKeys.load(settings);
  if (created) log.info({ dataDir: settings.dataDir }, 'made new VAPID keys for Web Push');
  return new PushSender({
    vapid: keys,
    allowedHosts: settings.allowedHosts,
    allowPrivateAddresses: settings.allowPrivateAddresses,
    timeoutMs: settings.timeoutMs,
    perEndpointBurst: 4,
    perMinute: settings.perMinute,
    perAddressPerMinute: settings.perAddressPerMinute,
  });
}
