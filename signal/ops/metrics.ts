/** Prometheus metrics of one signal process, served at `/metrics`. */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { ErrorCode, MailboxErrorCode } from '../protocol/codes.js';
import type { MailboxTotals } from '../mailbox/mailbox-store.js';

export interface StateGauges {
  connections(): number;
  rooms(): number;
  peers(): number;
  peersAway(): number;
  pendingSignalBytes(): number;
  trackedAddresses(): number;
}

/** Why a client was refused by the per-address limits. */
export type RefusalReason = 'too-many-connections' | 'connection-rate' | 'join-rate' | 'turn-rate';

export class SignalMetrics {
  readonly registry = new Registry();
  #relayedSinceScrape = 0;
  readonly errors: Counter<'code'>;
  readonly rateLimited: Counter;
  readonly disconnects: Counter<'reason'>;
  readonly upgradesRefused: Counter<'reason'>;
  readonly pushes: Counter<'outcome'>;
  readonly refusals: Counter<'reason'>;
  readonly capacityRefusals: Counter<'reason'>;
  readonly mailboxDeposits: Counter;
  readonly mailboxFetches: Counter;
  readonly mailboxRefusals: Counter<'reason'>;
  readonly mailboxExpired: Counter;

  constructor(state: StateGauges) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'whisper_' });
    const gauge = (name: string, help: string, read: () => number): Gauge =>
      new Gauge({
        name,
        help,
        registers,
        collect() {
          this.set(read());
        },
      });
    gauge('whisper_connections', 'Open WebSocket connections.', state.connections);
    gauge('whisper_rooms', 'Rooms with at least one peer.', state.rooms);
    gauge('whisper_peers', 'Peers in rooms, including those within their resume grace period.', state.peers);
    gauge('whisper_peers_away', 'Peers within their resume grace period (bounded by MAX_AWAY_SESSIONS).', state.peersAway);
    gauge('whisper_pending_signal_bytes', 'Bytes of signals held for peers that are away (bounded by MAX_PENDING_SIGNAL_BYTES).', state.pendingSignalBytes);
    gauge('whisper_tracked_addresses', 'Client addresses (and the IPv6 /56s and /48s holding them) the per-address limits hold state for (bounded by MAX_TRACKED_ADDRESSES).', state.trackedAddresses);
    const metrics = this;
    new Counter({
      name: 'whisper_signals_relayed_total',
      help: 'Signal messages relayed or queued for a peer.',
      registers,
      // Counted in a plain number on the relay path and handed to the counter when scraped.
      collect() {
        this.inc(metrics.#relayedSinceScrape);
        metrics.#relayedSinceScrape = 0;
      },
    });
    this.errors = new Counter({ name: 'whisper_errors_total', help: 'Error messages sent to clients, by code.', labelNames: ['code'], registers });
    this.rateLimited = new Counter({ name: 'whisper_rate_limited_total', help: 'Messages dropped by the per-connection rate limit.', registers });
    this.disconnects = new Counter({ name: 'whisper_disconnects_total', help: 'Connections closed by the server, by reason.', labelNames: ['reason'], registers });
    this.pushes = new Counter({ name: 'whisper_pushes_total', help: 'Web Push requests from clients, by outcome (sent, gone, rate-limited, too-large, rejected, refused, failed).', labelNames: ['outcome'], registers });
    this.refusals = new Counter({
      name: 'whisper_address_refusals_total',
      help: 'Refusals by the per-address limits, by reason (too-many-connections, connection-rate, join-rate, turn-rate).',
      labelNames: ['reason'],
      registers,
    });
    this.capacityRefusals = new Counter({
      name: 'whisper_capacity_refusals_total',
      help: 'Refusals because the process holds as much as it may, by reason (rooms: MAX_ROOMS; away-sessions: MAX_AWAY_SESSIONS, the peer left at once; pending-signal-bytes: MAX_PENDING_SIGNAL_BYTES, the sender got peer-unreachable).',
      labelNames: ['reason'],
      registers,
    });
    this.mailboxDeposits = new Counter({ name: 'whisper_mailbox_deposits_total', help: 'Entries deposited into mailboxes.', registers });
    this.mailboxFetches = new Counter({ name: 'whisper_mailbox_fetches_total', help: 'Mailboxes fetched by their owners.', registers });
    this.mailboxRefusals = new Counter({
      name: 'whisper_mailbox_refusals_total',
      help: 'Mailbox requests refused, by reason (the error code: forbidden, mailbox-full, rate-limited, server-full, ...).',
      labelNames: ['reason'],
      registers,
    });
    this.mailboxExpired = new Counter({ name: 'whisper_mailbox_expired_total', help: 'Mailbox entries removed by the sweep because they expired.', registers });
    this.upgradesRefused = new Counter({ name: 'whisper_upgrades_refused_total', help: 'WebSocket upgrades refused, by reason.', labelNames: ['reason'], registers });
  }

  /** The mailboxes' gauges, read from their store when scraped (the last figures while it cannot be read). */
  watchMailboxes(totals: () => Promise<MailboxTotals>): void {
    let last: MailboxTotals = { mailboxes: 0, entries: 0, bytes: 0 };
    // One read for the three gauges of a scrape: their collects start together.
    let reading: Promise<MailboxTotals> | null = null;
    const read = (): Promise<MailboxTotals> =>
      (reading ??= totals()
        .then((read) => (last = read), () => last)
        .finally(() => (reading = null)));
    const registers = [this.registry];
    for (const [name, help, field] of [
      ['whisper_mailboxes', 'Mailboxes stored (in Redis: by every process).', 'mailboxes'],
      ['whisper_mailbox_entries', 'Entries stored in mailboxes.', 'entries'],
      ['whisper_mailbox_bytes', 'Bytes stored in mailboxes, entries and their records (bounded by MAILBOX_MAX_BYTES).', 'bytes'],
    ] as const) {
      new Gauge({
        name,
        help,
        registers,
        async collect() {
          this.set((await read())[field]);
        },
      });
    }
  }

  mailboxRefused(code: MailboxErrorCode): void {
    this.mailboxRefusals.inc({ reason: code });
  }

  countRelayed(): void {
    this.#relayedSinceScrape++;
  }

  error(code: ErrorCode): void {
    this.errors.inc({ code });
  }
}
