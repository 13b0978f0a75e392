/**
 * A small Prometheus registry (text exposition format 0.0.4): counters, gauges and one latency
 * histogram kind. Label values come only from the relay's own vocabulary (route patterns,
 * status codes), never from client input, so the series count is bounded.
 */

const LATENCY_BUCKETS_SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

class Counter {
  readonly values = new Map<string, number>();
  inc(labels = '', by = 1): void {
    this.values.set(labels, (this.values.get(labels) ?? 0) + by);
  }
}

class Histogram {
  readonly series = new Map<string, { counts: number[]; sum: number; count: number }>();
  observe(seconds: number, labels = ''): void {
    let s = this.series.get(labels);
    if (s === undefined) {
      s = { counts: LATENCY_BUCKETS_SECONDS.map(() => 0), sum: 0, count: 0 };
      this.series.set(labels, s);
    }
    for (let i = 0; i < LATENCY_BUCKETS_SECONDS.length; i++) {
      const bound = LATENCY_BUCKETS_SECONDS[i];
      if (bound !== undefined && seconds <= bound) s.counts[i] = (s.counts[i] ?? 0) + 1;
    }
    s.sum += seconds;
    s.count += 1;
  }
}

/** Formats a label set: `label('route', '/v1/x', 'status', '200')`. */
export function labels(...pairs: string[]): string {
  const parts: string[] = [];
  for (let i = 0; i + 1 < pairs.length; i += 2) {
    const value = (pairs[i + 1] ?? '')
      .replace(/\\/g, '\\\\')
      .replace(/"/g, '\\"')
      .replace(/\n/g, '\\n');
    parts.push(`${pairs[i] ?? ''}="${value}"`);
  }
  return parts.join(',');
}

export class RelayMetrics {
  readonly httpRequests = new Counter();
  readonly httpDuration = new Histogram();
  readonly messagesIn = new Counter();
  readonly messagesOut = new Counter();
  readonly messagesAcked = new Counter();
  readonly sendDuration = new Histogram();
  readonly deliveryLatency = new Histogram();
  readonly rateLimited = new Counter();
  /** Sealed envelopes stored (no label: a sealed send has no sender to name). */
  readonly sealedIn = new Counter();
  /** Sealed sends refused for their delivery token. */
  readonly sealedRefused = new Counter();
  connections = 0;

  /** The exposition text; `queueDepth` is read from storage at scrape time. */
  render(queueDepth: number): string {
    const out: string[] = [];
    const counter = (name: string, help: string, c: Counter): void => {
      out.push(`# HELP ${name} ${help}`, `# TYPE ${name} counter`);
      if (c.values.size === 0) out.push(`${name} 0`);
      for (const [l, v] of c.values) out.push(l === '' ? `${name} ${v}` : `${name}{${l}} ${v}`);
    };
    const gauge = (name: string, help: string, v: number): void => {
      out.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`, `${name} ${v}`);
    };
    const histogram = (name: string, help: string, h: Histogram): void => {
      out.push(`# HELP ${name} ${help}`, `# TYPE ${name} histogram`);
      for (const [l, s] of h.series) {
        const prefix = l === '' ? '' : `${l},`;
        LATENCY_BUCKETS_SECONDS.forEach((b, i) => {
          out.push(`${name}_bucket{${prefix}le="${b}"} ${s.counts[i] ?? 0}`);
        });
        out.push(`${name}_bucket{${prefix}le="+Inf"} ${s.count}`);
        const lab = l === '' ? '' : `{${l}}`;
        out.push(`${name}_sum${lab} ${s.sum}`, `${name}_count${lab} ${s.count}`);
      }
    };
    gauge('parley_websocket_connections', 'Authenticated WebSocket connections.', this.connections);
    gauge(
      'parley_queued_messages',
      'Messages stored and not yet acknowledged, all devices.',
      queueDepth,
    );
    counter(
      'parley_http_requests_total',
      'HTTP requests by route pattern and status.',
      this.httpRequests,
    );
    histogram('parley_http_request_duration_seconds', 'HTTP request latency.', this.httpDuration);
    counter(
      'parley_messages_in_total',
      'Ciphertexts accepted and stored (one per device).',
      this.messagesIn,
    );
    counter(
      'parley_messages_out_total',
      'Ciphertexts pushed over WebSockets or fetched.',
      this.messagesOut,
    );
    counter(
      'parley_messages_acked_total',
      'Ciphertexts acknowledged and deleted.',
      this.messagesAcked,
    );
    histogram(
      'parley_send_duration_seconds',
      'Send request: validation to durable commit.',
      this.sendDuration,
    );
    histogram(
      'parley_delivery_latency_seconds',
      'Stored to pushed, online devices.',
      this.deliveryLatency,
    );
    counter(
      'parley_rate_limited_total',
      'Requests refused by a rate limit, by scope.',
      this.rateLimited,
    );
    counter(
      'parley_sealed_messages_in_total',
      'Sealed sender ciphertexts stored (one per device), also counted in messages_in.',
      this.sealedIn,
    );
    counter(
      'parley_sealed_sends_refused_total',
      'Sealed sends refused for a wrong or revoked delivery token.',
      this.sealedRefused,
    );
    return `${out.join('\n')}\n`;
  }
}
