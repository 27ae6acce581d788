/**
 * The one place where a room's services meet its connections. Each service (chat, the room's
 * conversation, transfers, calls, the room's call, Web Push; next the mailbox, an SFU's key exchange, a
 * person's other devices) registers here once, saying which frames of the chat channel are its own and
 * what it does when a connection to a person opens, closes or carries media. The room session routes
 * every frame through it, and never needs to know a service to pass things on to it.
 */

/** What a service hears of a person's connection. Every hook is optional. */
export interface RoomService<F> {
  /** For logs and errors: what the service is. */
  readonly name: string;
  /** Reads a text frame of the chat channel as one of this service's (each has its own `type`), or null if it is not. */
  parse?(text: string): F | null;
  /**
   * Takes every frame no service reads (the one-to-one chat, which validates what it gets itself): at most
   * one service does, and it is asked last.
   */
  takesTheRest?: boolean;
  /** A frame this service read, from a person whose connection proved their key and is not held. */
  receive?(device: string, frame: F): unknown;
  /** A frame of the "files" channel (JSON control as text, chunks as binary). */
  receiveFile?(device: string, data: string | ArrayBuffer, channel: RTCDataChannel): unknown;
  /** The connection to the person is usable: proven and not held. */
  opened?(device: string): unknown;
  /** The connection to the person closed (it may come back). */
  closed?(device: string): void;
  /** The person left the room (their last session ended). */
  left?(device: string): void;
  /** An offer from the person was applied and its answer is not made yet (see PeerLink's wh-remote-offer). */
  remoteOffer?(device: string): void;
  /** Media from the person arrived on a transceiver. */
  remoteTrack?(device: string): void;
  /** Something of this service waits for a connection to the person (a queued message, a file, a call). */
  wants?(device: string): boolean | Promise<boolean>;
}

interface Route {
  name: string;
  /** Handles the frame and says so, or says it is not this service's. */
  take(device: string, text: string): boolean;
}

export class FrameRouter {
  readonly #services: RoomService<unknown>[] = [];
  readonly #routes: Route[] = [];
  #rest: Route | null = null;

  register<F>(service: RoomService<F>): void {
    this.#services.push(service as RoomService<unknown>);
    const { receive } = service;
    if (!receive) return;
    if (service.takesTheRest) {
      if (this.#rest) throw new Error(`${service.name} takes the frames no service reads, but ${this.#rest.name} already does`);
      this.#rest = { name: service.name, take: (device, text) => (void receive.call(service, device, text as F), true) };
      return;
    }
    const { parse } = service;
    if (!parse) return;
    this.#routes.push({
      name: service.name,
      take: (device, text) => {
        const frame = parse.call(service, text);
        if (frame === null) return false;
        void receive.call(service, device, frame);
        return true;
      },
    });
  }

  /** Hands a chat-channel frame to the service that reads it (or takes the rest); false if none does. */
  route(device: string, text: string): boolean {
    return this.#routes.some((route) => route.take(device, text)) || (this.#rest?.take(device, text) ?? false);
  }

  routeFile(device: string, data: string | ArrayBuffer, channel: RTCDataChannel): void {
    for (const service of this.#services) void service.receiveFile?.(device, data, channel);
  }

  opened(device: string): void {
    for (const service of this.#services) void service.opened?.(device);
  }

  closed(device: string): void {
    for (const service of this.#services) service.closed?.(device);
  }

  left(device: string): void {
    for (const service of this.#services) service.left?.(device);
  }

  remoteOffer(device: string): void {
    for (const service of this.#services) service.remoteOffer?.(device);
  }

  remoteTrack(device: string): void {
    for (const service of this.#services) service.remoteTrack?.(device);
  }

  /** Whether any service waits for a connection to the person: asked in the order they registered, until one does. */
  async wanted(device: string): Promise<boolean> {
    for (const service of this.#services) if (await service.wants?.(device)) return true;
    return false;
  }
}
