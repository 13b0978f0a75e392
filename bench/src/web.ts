// `npm run bench -- web`: the web client in headless chromium (first-load sizes, the
// conversation list with 10,000 and 100,000 stored messages, opening, search, heap, nodes).
// The benchmark lives beside the browser tests it shares a harness with; it is loaded by path so
// this package's type-check does not take in the web client's DOM code.

interface WebBenchRow {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  readonly target?: number;
}
interface WebBenchModule {
  readonly webBenchmark: (options: {
    quick: boolean;
    log: (line: string) => void;
  }) => Promise<WebBenchRow[]>;
}

export async function runWebBench(options: { quick: boolean; json: boolean }): Promise<void> {
  const path = new URL('../../apps/web/test/bench-web.ts', import.meta.url).href;
  const { webBenchmark } = (await import(path)) as WebBenchModule;
  if (!options.json)
    console.log(
      `web client in headless chromium, Node ${process.version}${options.quick ? ' (quick: 1,000 and 5,000 messages)' : ''}`,
    );
  const rows = await webBenchmark({
    quick: options.quick,
    log: options.json ? () => undefined : (line) => console.log(line),
  });
  if (options.json) console.log(JSON.stringify(rows, null, 2));
}
