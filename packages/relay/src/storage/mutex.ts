/** Runs async sections one at a time, in call order (transactions are serialised with it). */
export class Mutex {
  #tail: Promise<unknown> = Promise.resolve();

  run<T>(section: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(section, section);
    this.#tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }
}
