/**
 * Loads the engine's key transparency module (`transparency.ts`, a chunk of its own, so the
 * worker's first load does not grow) when the tabs first ask for the conversation list, a moment
 * later, or at once when a tab asks for a transparency status; then starts its monitoring timer.
 */
import type { Request } from './protocol.js';
import type { EngineTransparency, KtHost, KtRequest } from './transparency.js';

/** After the first list request, this long before the module loads (the list paints first). */
export const KT_START_DELAY_MS = 1_000;

export class TransparencyLoader {
  readonly #host: KtHost;
  #module: Promise<EngineTransparency> | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #started = false;
  #closed = false;

  constructor(host: KtHost) {
    this.#host = host;
  }

  #load(): Promise<EngineTransparency> {
    this.#module ??= import('./transparency.js').then((m) => new m.EngineTransparency(this.#host));
    return this.#module;
  }

  /** Starts monitoring soon (once; a later call does nothing). */
  start(): void {
    if (this.#started || this.#closed) return;
    this.#started = true;
    this.#timer = setTimeout(() => {
      this.#load().then(
        (kt) => {
          if (!this.#closed) kt.start();
        },
        (error: unknown) => {
          console.error('parley engine: transparency failed to load', errorName(error));
        },
      );
    }, KT_START_DELAY_MS);
  }

  async answer(request: Extract<Request, { type: KtRequest }>): Promise<unknown> {
    return (await this.#load()).answer(request);
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    // A module that failed to load has nothing to close (its failure was reported).
    this.#module?.then(
      (kt) => {
        kt.close();
      },
      () => undefined,
    );
  }
}

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : '';
}
