/**
 * A reactive controller that re-renders its host when one of the given events
 * fires on a target (a RoomSession, a ChatService...), or only those `when` picks. The target may change
 * over the host's life; the controller follows it. It reads the target at each update, so a host whose
 * properties were set before its element was defined (a lazily loaded element) listens once they are.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';

export class ListenController implements ReactiveController {
  #target: EventTarget | null = null;
  readonly #onEvent = (event: Event) => {
    if (!this.when || this.when(event)) this.host.requestUpdate();
  };

  constructor(
    private readonly host: ReactiveControllerHost,
    private readonly target: () => EventTarget | null | undefined,
    private readonly types: readonly string[],
    private readonly when?: (event: Event) => boolean,
  ) {
    host.addController(this);
  }

  hostConnected(): void {
    this.#follow();
  }

  hostUpdate(): void {
    this.#follow();
  }

  hostDisconnected(): void {
    this.#attach(null);
  }

  #follow(): void {
    const target = this.target() ?? null;
    if (target !== this.#target) this.#attach(target);
  }

  #attach(target: EventTarget | null): void {
    for (const type of this.types) this.#target?.removeEventListener(type, this.#onEvent);
    this.#target = target;
    for (const type of this.types) target?.addEventListener(type, this.#onEvent);
  }
}
