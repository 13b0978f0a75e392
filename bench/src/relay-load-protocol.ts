// The messages between the relay load benchmark (relay-load.ts) and its worker processes
// (relay-load-worker.ts), over the IPC channel.
import type { DeviceInfo, SystemName } from './relay-adapters.js';

export type Command =
  | {
      readonly kind: 'setup';
      readonly system: SystemName;
      readonly port: number;
      readonly runId: string;
      readonly worker: number;
      /** Every device (recipients are drawn from all of them). */
      readonly devices: readonly DeviceInfo[];
      /** This worker's connections: indices `[from, to)` of `devices`. */
      readonly from: number;
      readonly to: number;
      readonly messageBytes: number;
      /** MQTT persistent sessions (the storm needs queues for offline clients). */
      readonly persistent: boolean;
    }
  | {
      readonly kind: 'step';
      readonly step: number;
      /** Messages per second this worker sends. */
      readonly rate: number;
      readonly startMicros: number;
      readonly durationMs: number;
    }
  | { readonly kind: 'count' }
  | { readonly kind: 'report' }
  /** MQTT storm only: open each recipient's persistent session once, subscribe, close it. */
  | { readonly kind: 'register-offline'; readonly recipients: readonly DeviceInfo[] }
  | {
      readonly kind: 'fill';
      readonly recipients: readonly DeviceInfo[];
      readonly perDevice: number;
    }
  | {
      readonly kind: 'storm';
      readonly recipients: readonly DeviceInfo[];
      readonly expected: number;
    }
  /** Before a storm: close all but the first `keep` connections of this worker. */
  | { readonly kind: 'trim'; readonly keep: number }
  | { readonly kind: 'exit' };

export type Reply =
  | { readonly kind: 'connected' }
  | {
      readonly kind: 'sent';
      readonly sent: number;
      readonly stored: number;
      readonly failed: number;
      /** Sends skipped because too many were outstanding (the system fell behind). */
      readonly skipped: number;
    }
  | { readonly kind: 'count'; readonly delivered: number }
  | {
      readonly kind: 'report';
      readonly delivered: number;
      readonly duplicates: number;
      readonly lastDeliveryMicros: number;
      readonly latenciesMs: number[];
    }
  | { readonly kind: 'registered' }
  | { readonly kind: 'trimmed' }
  | { readonly kind: 'filled'; readonly stored: number; readonly failed: number }
  | {
      readonly kind: 'stormed';
      readonly received: number;
      readonly duplicates: number;
      readonly lastMicros: number;
    };

/** Wall-clock microseconds, comparable between processes on this machine. */
export function nowMicros(): number {
  return (performance.timeOrigin + performance.now()) * 1000;
}
