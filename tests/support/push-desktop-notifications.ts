/**
 * The desktop a browser shows its notifications on, for the tests: a D-Bus
 * session bus of the test's own (Debian's dbus-daemon) with a notification
 * server on it (org.freedesktop.Notifications, the Desktop Notifications
 * Specification 1.2, as GNOME Shell or dunst serve it). Firefox on Linux shows
 * a web notification through libnotify on that bus, with its title, body and
 * action buttons; what the server was asked to show is what a person would
 * see. A click is what the desktop sends when a person presses a button:
 * ActionInvoked with the action's key, then NotificationClosed (dismissed).
 *
 * The browser is started with DBUS_SESSION_BUS_ADDRESS set to `address`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import dbus from '@homebridge/dbus-native';

// What the package's own typings leave out: a session bus at an address, names, exported objects.
declare module '@homebridge/dbus-native' {
  interface MessageBus {
    requestName(name: string, flags: number, callback: (error: unknown, code?: number) => void): void;
    exportInterface(object: EventEmitter, path: string, description: { name: string; methods: Record<string, string[]>; signals: Record<string, string[]> }): void;
  }
  interface BusConnection {
    end(): void;
  }
  function sessionBus(options: { busAddress: string }): MessageBus;
}

export interface DesktopNotification {
  /** The server's id for it (a replacement keeps the id it replaces). */
  id: number;
  app: string;
  title: string;
  body: string;
  /** What it offers, as [key, label]: its buttons, and "default" for a click on the notification itself. */
  actions: Array<[string, string]>;
  /** 0: stays until the person acts on it; -1: the server decides; else milliseconds. */
  expireTimeout: number;
  /** Whether the browser asked for no sound with it (the hint `suppress-sound`: Firefox sends it for a silent notification). */
  silent: boolean;
  /** Whether it is still on screen. */
  open: boolean;
  /** When the desktop was asked to show it (Date.now()). */
  at: number;
}

/**
 * The bus's configuration: the session bus's rules without its service directories, so that nothing else
 * (an accessibility bus, dconf) is started on it for the browser.
 */
const busConfig = (address: string) => `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>${address}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`;

const NAME = 'org.freedesktop.Notifications';
const PATH = '/org/freedesktop/Notifications';
/** NotificationClosed reasons (the specification's). */
const DISMISSED = 2;
const CLOSED_BY_CALL = 3;

/** A hint (a{sv}) as dbus-native hands it over: its name, then the value's signature and the value. */
type Hint = [string, [unknown, [unknown]]];

/** The server's methods, as D-Bus calls them; its signals go out through `emit`. */
class NotificationServer extends EventEmitter {
  readonly shown: DesktopNotification[] = [];
  readonly #changed = new Set<() => void>();
  #nextId = 1;

  GetCapabilities(): string[] {
    return ['actions', 'body', 'persistence'];
  }

  Notify(app: string, replacesId: number, _icon: string, title: string, body: string, actions: string[], hints: Hint[], expireTimeout: number): number {
    const id = replacesId > 0 ? replacesId : this.#nextId++;
    for (const old of this.shown) if (old.id === id) old.open = false;
    const pairs: Array<[string, string]> = [];
    for (let i = 0; i + 1 < actions.length; i += 2) pairs.push([actions[i]!, actions[i + 1]!]);
    const silent = hints.some(([name, [, [value]]]) => name === 'suppress-sound' && value === true);
    this.shown.push({ id, app, title, body, actions: pairs, expireTimeout, silent, open: true, at: Date.now() });
    this.changed();
    return id;
  }

  CloseNotification(id: number): void {
    this.close(id, CLOSED_BY_CALL);
  }

  GetServerInformation(): [string, string, string, string] {
    return ['whisper-test-desktop', 'Whisper', '1.0', '1.2'];
  }

  close(id: number, reason: number): void {
    const notification = this.shown.find((n) => n.id === id && n.open);
    if (!notification) return;
    notification.open = false;
    this.emit('NotificationClosed', id, reason);
    this.changed();
  }

  changed(): void {
    for (const wake of [...this.#changed]) wake();
  }

  async until<T>(find: () => T | undefined, what: () => string, timeoutMs: number): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = find();
      if (found !== undefined) return found;
      if (Date.now() > deadline) throw new Error(`desktop: ${what()}`);
      await new Promise<void>((resolve) => {
        const wake = () => (this.#changed.delete(wake), resolve());
        this.#changed.add(wake);
        setTimeout(wake, 200);
      });
    }
  }
}

const INTERFACE = {
  name: NAME,
  // [in signature, out signature]
  methods: {
    GetCapabilities: ['', 'as'],
    Notify: ['susssasa{sv}i', 'u'],
    CloseNotification: ['u', ''],
    GetServerInformation: ['', 'ssss'],
  },
  signals: {
    ActionInvoked: ['us'],
    NotificationClosed: ['uu'],
  },
};

export class DesktopNotifications {
  private constructor(
    /** The value of DBUS_SESSION_BUS_ADDRESS for the browser. */
    readonly address: string,
    private readonly daemon: ChildProcess,
    private readonly bus: dbus.MessageBus,
    private readonly server: NotificationServer,
    private readonly dir: string,
  ) {}

  static async start(): Promise<DesktopNotifications> {
    const dir = await mkdtemp(join(tmpdir(), 'whisper-desktop-'));
    const address = `unix:path=${join(dir, 'bus')}`;
    await writeFile(join(dir, 'bus.conf'), busConfig(address));
    const daemon = spawn('dbus-daemon', [`--config-file=${join(dir, 'bus.conf')}`, '--nofork', '--nopidfile', '--print-address=1'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    await new Promise<void>((resolve, reject) => {
      daemon.once('error', (error) => reject(new Error(`dbus-daemon did not start (apt-get install -y dbus-daemon): ${error.message}`)));
      daemon.once('exit', (code) => reject(new Error(`dbus-daemon exited (${code}): ${output}`)));
      daemon.stderr!.on('data', (chunk: Buffer) => (output += String(chunk)));
      // It prints its address once it listens.
      daemon.stdout!.on('data', (chunk: Buffer) => {
        output += String(chunk);
        if (output.includes('\n')) resolve();
      });
    });
    const bus = dbus.sessionBus({ busAddress: address });
    const server = new NotificationServer();
    bus.exportInterface(server, PATH, INTERFACE);
    await new Promise<void>((resolve, reject) => bus.requestName(NAME, 0, (error) => (error ? reject(new Error(`desktop: the name ${NAME} was refused: ${String(error)}`)) : resolve())));
    return new DesktopNotifications(address, daemon, bus, server, dir);
  }

  /** Everything shown so far, oldest first (a replaced or closed one with open false). */
  get shown(): readonly DesktopNotification[] {
    return this.server.shown;
  }

  /** The notifications on screen now. */
  get onScreen(): DesktopNotification[] {
    return this.server.shown.filter((n) => n.open);
  }

  /** Waits until one on screen is titled `title` (one of those shown after the first `after`). */
  showing(title: string, { after = 0, timeoutMs = 20_000 } = {}): Promise<DesktopNotification> {
    return this.server.until(
      () => this.server.shown.slice(after).find((n) => n.open && n.title === title),
      () => `no notification “${title}” came; on screen: ${JSON.stringify(this.onScreen.map((n) => n.title))}`,
      timeoutMs,
    );
  }

  /** Waits until `notification` is no longer on screen (closed by the browser, or replaced). */
  async gone(notification: DesktopNotification, timeoutMs = 20_000): Promise<void> {
    await this.server.until(() => (notification.open ? undefined : true), () => `“${notification.title}” is still on screen`, timeoutMs);
  }

  /** A person presses the button labelled `label` on `notification`; the desktop then takes it away. */
  press(notification: DesktopNotification, label: string): void {
    const button = notification.actions.find(([key, text]) => key !== 'default' && text === label);
    if (!button) throw new Error(`desktop: “${notification.title}” has no button “${label}” (${JSON.stringify(notification.actions)})`);
    this.#invoke(notification, button[0]);
  }

  /** A person clicks `notification` itself (the "default" action, where the browser offers one). */
  click(notification: DesktopNotification): void {
    if (!notification.actions.some(([key]) => key === 'default')) throw new Error(`desktop: “${notification.title}” takes no click (${JSON.stringify(notification.actions)})`);
    this.#invoke(notification, 'default');
  }

  /** A person closes `notification` without acting on it. */
  dismiss(notification: DesktopNotification): void {
    this.server.close(notification.id, DISMISSED);
  }

  #invoke(notification: DesktopNotification, key: string): void {
    if (!notification.open) throw new Error(`desktop: “${notification.title}” is no longer on screen to be clicked`);
    this.server.emit('ActionInvoked', notification.id, key);
    this.server.close(notification.id, DISMISSED);
  }

  async stop(): Promise<void> {
    this.bus.connection.end();
    this.daemon.kill();
    await rm(this.dir, { recursive: true, force: true });
  }
}
