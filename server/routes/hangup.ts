import type { ServerResponse } from 'node:http';

/**
 * A long poll's hang-up, so a dropped long poll holds nothing. Its signal is built only when the
 * pull has to wait: most pulls find their reply at once, and an AbortController with a listener
 * per request was 2.5 % of the HTTP path (issue 17).
 */
export class Hangup {
  private controller: AbortController | undefined;

  constructor(private readonly response: ServerResponse) {}

  get signal(): AbortSignal {
    if (this.controller) return this.controller.signal;
    const controller = (this.controller = new AbortController());
    const { response } = this;
    // Only a real hang-up: 'close' also fires after every completed response, where an abort
    // would build a DOMException for nothing. A caller already gone before the first wait is
    // seen at once.
    if (response.destroyed && !response.writableFinished) controller.abort();
    else response.on('close', () => {
      if (!response.writableFinished) controller.abort();
    });
    return controller.signal;
  }
}
