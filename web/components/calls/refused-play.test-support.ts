/** For component tests of the call screens: the browser's play() refused as Safari refuses it without a tap. */

/** Runs `body` while every media element's play() is refused (NotAllowedError) until `body` calls `allow()`. */
export async function whilePlayRefused(body: (allow: () => void) => Promise<void>): Promise<void> {
  const play = HTMLMediaElement.prototype.play;
  let allowed = false;
  HTMLMediaElement.prototype.play = function () {
    return allowed ? Promise.resolve() : Promise.reject(new DOMException('play() needs a user gesture', 'NotAllowedError'));
  };
  try {
    await body(() => (allowed = true));
  } finally {
    HTMLMediaElement.prototype.play = play;
  }
}
