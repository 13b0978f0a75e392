/**
 * A part of the client's code that may be loaded late (`group-code.ts`, `transparency-code.ts`).
 * The package's main entry (`index.ts`) provides every part statically, so in Node they are
 * there from the first line; the lazy entry (`lazy.ts`, the browser's) does not, and the first
 * operation that needs a part loads it with the dynamic `import()` given here, which a bundler
 * puts in a chunk of its own.
 */
export interface CodeSlot<M> {
  /** Makes the code available at once (the main entry, which imports it statically). */
  provide(module: M): void;
  /** The code if it is loaded, else undefined (no load starts). */
  loaded(): M | undefined;
  /** The code, loaded once; a failed load is tried again at the next call. */
  load(): Promise<M>;
}

export function codeSlot<M>(importer: () => Promise<M>): CodeSlot<M> {
  let code: M | undefined;
  let loading: Promise<M> | undefined;
  return {
    provide(module) {
      code = module;
    },
    loaded: () => code,
    load() {
      if (code !== undefined) return Promise.resolve(code);
      loading ??= importer().then(
        (module) => {
          code = module;
          return module;
        },
        (error: unknown) => {
          loading = undefined;
          throw error;
        },
      );
      return loading;
    },
  };
}
