type Listener = ((event: never) => void) | EventListenerOrEventListenerObject | null;

/** An EventTarget whose events are `CustomEvent`s named and typed by the map `M`. */
export class TypedEventTarget<M extends { [K in keyof M]: CustomEvent }> extends EventTarget {
  protected emit<K extends keyof M & string>(type: K, detail: M[K]['detail']): void {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  override addEventListener<K extends keyof M & string>(type: K, listener: (event: M[K]) => void, options?: AddEventListenerOptions | boolean): void;
  override addEventListener(type: string, listener: EventListenerOrEventListenerObject | null, options?: AddEventListenerOptions | boolean): void;
  override addEventListener(type: string, listener: Listener, options?: AddEventListenerOptions | boolean): void {
    super.addEventListener(type, listener as EventListenerOrEventListenerObject | null, options);
  }

  override removeEventListener<K extends keyof M & string>(type: K, listener: (event: M[K]) => void, options?: EventListenerOptions | boolean): void;
  override removeEventListener(type: string, listener: EventListenerOrEventListenerObject | null, options?: EventListenerOptions | boolean): void;
  override removeEventListener(type: string, listener: Listener, options?: EventListenerOptions | boolean): void {
    super.removeEventListener(type, listener as EventListenerOrEventListenerObject | null, options);
  }
}
