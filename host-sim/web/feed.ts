/**
 * What the live page is told, and what it may ask, without I/O: the first message (the run, every
 * device, the broker, the telemetry kept so far), each event in short, the stats every second, and the
 * page's requests (a fault, a command) checked before they reach the simulation: a bad one gets its
 * words back, never a throw. host-sim/web/server.ts carries these over a WebSocket.
 */
import { summaryFields } from "../cli-report.js";
import { FAULTS, type SimEvent, type Simulation } from "../simulation.js";

/** The commands the page may send (firmware/telemetry/commands.ts). */
export const COMMANDS = ["interval", "sample", "config"] as const;
/** The telemetry kept per sensor for a page that opens later. */
export const HISTORY = 600;
/** The longest command payload the page may send, in characters (the devices' receive buffers are 2 KiB and more). */
export const MAX_PAYLOAD = 1024;

/** A telemetry message as the subscriber received it: the device, its ts (s), its numeric fields. */
export interface Point {
  device: string;
  t: number;
  values: Record<string, number>;
}

export type Reply = { type: "reply"; ref: unknown; ok: true; sent?: { topic: string; payload: string; id: string } } | { type: "reply"; ref: unknown; ok: false; error: string };

/** The numeric fields of a telemetry payload, without its ts and seq. */
function values(data: unknown): Record<string, number> {
  const out: Record<string, number> = {};
  if (data === null || typeof data !== "object") return out;
  for (const [key, value] of Object.entries(data)) if (key !== "ts" && key !== "seq" && typeof value === "number") out[key] = value;
  return out;
}

/**
 * The bytes the client's three buffers take (receive, transmit, control), fixed at construction from its
 * options: the part of its RAM that its options size. Not counted: the inbound QoS 2 id set, the queue
 * slots and subscriptions, the objects themselves (README "Memory" has the whole, measured on XS).
 */
export function bufferBytes(sim: Simulation, index: number): { receive: number; transmit: number; control: number; total: number } {
  const o = sim.devices[index].device.client.options;
  return { receive: o.receiveBufferSize, transmit: o.transmitBufferSize, control: o.controlBufferSize, total: o.receiveBufferSize + o.transmitBufferSize + o.controlBufferSize };
}

export class Feed {
  private readonly sim: Simulation;
  private readonly start: Record<string, unknown>;
  private readonly history = new Map<string, Point[]>();
  private readonly recent: { t: number; device: string; kind: string; text: string }[] = [];
  private next = 1;

  constructor(sim: Simulation, start: Record<string, unknown>) {
    this.sim = sim;
    this.start = start;
  }

  /** The event as the page gets it (null: none), keeping telemetry and the last lines for later pages. */
  event(e: SimEvent): Record<string, unknown> | null {
    const t = Date.now() / 1000;
    const short: Record<string, unknown> = { type: "event", t, device: e.device, kind: e.kind, text: e.text, who: e.who };
    if (e.kind === "telemetry" && typeof e.fields.name === "string") {
      const data = e.fields.data as { ts?: unknown } | undefined;
      const point: Point = { device: e.device, t: typeof data?.ts === "number" ? data.ts / 1000 : t, values: values(data) };
      const list = this.history.get(e.fields.name) ?? [];
      list.push(point);
      if (list.length > HISTORY) list.splice(0, list.length - HISTORY);
      this.history.set(e.fields.name, list);
      short.sensor = e.fields.name;
      short.point = point;
    }
    if (e.kind === "result") short.data = e.fields.data ?? e.fields.payload;
    if (e.kind !== "telemetry") this.recent.push({ t, device: e.device, kind: e.kind, text: e.text }); // the plots show those
    if (this.recent.length > 50) this.recent.shift();
    return short;
  }

  /** The first message to a page. */
  hello(): Record<string, unknown> {
    return { ...this.stats(), type: "hello", start: this.start, faults: FAULTS, commands: COMMANDS, history: Object.fromEntries(this.history), events: this.recent };
  }

  /** Every device's state and counters, the broker's view and the totals. */
  stats(): Record<string, unknown> {
    const sim = this.sim;
    const embedded = sim.config.embedded;
    return {
      type: "stats",
      devices: sim.devices.map((d, i) => {
        const s = d.device.client.stats;
        return {
          id: d.id,
          state: d.state,
          lastDisconnect: d.lastDisconnect,
          wifi: d.network.wifi,
          stats: { published: s.queued, acked: s.acked, queued: d.device.client.queuedCount(), dropped: s.dropped, resent: s.resent, connects: s.connects },
          buffers: bufferBytes(sim, i),
        };
      }),
      broker: embedded ? { embedded: true, url: embedded.url, up: sim.brokerUp, clients: embedded.aedes.connectedClients, messages: sim.brokerMessages } : { embedded: false },
      summary: summaryFields(sim.summary()),
    };
  }

  /** A message from the page: checked, then done; the reply says what was done or why not. */
  request(text: string): Reply {
    let message: unknown;
    try {
      message = JSON.parse(text);
    } catch {
      return { type: "reply", ref: null, ok: false, error: "not JSON: the page sends {type, ...} objects" };
    }
    if (message === null || typeof message !== "object" || Array.isArray(message)) return { type: "reply", ref: null, ok: false, error: "not an object: the page sends {type, ...} objects" };
    const m = message as Record<string, unknown>;
    const ref = typeof m.ref === "string" || typeof m.ref === "number" ? m.ref : null;
    const refuse = (error: string): Reply => ({ type: "reply", ref, ok: false, error });
    if (typeof m.target !== "string") return refuse("target: a device's id or all");
    if (m.type === "fault") {
      if (typeof m.fault !== "string") return refuse(`fault: one of ${FAULTS.join(", ")}`);
      const refused = this.sim.fault(m.target, m.fault, { from: "page" });
      return refused === undefined ? { type: "reply", ref, ok: true } : refuse(refused);
    }
    if (m.type === "command") {
      if (!(COMMANDS as readonly unknown[]).includes(m.name)) return refuse(`unknown command ${JSON.stringify(m.name)}: ${COMMANDS.join(", ")}`);
      const name = m.name as string;
      const payload = m.payload ?? "";
      if (typeof payload !== "string" || payload.length > MAX_PAYLOAD) return refuse(`payload: a JSON object of at most ${MAX_PAYLOAD} characters, or nothing`);
      let args: Record<string, unknown> = {};
      if (payload.trim() !== "") {
        try {
          args = JSON.parse(payload) as Record<string, unknown>;
        } catch {
          return refuse(`payload: not valid JSON: ${payload}`);
        }
        if (args === null || typeof args !== "object" || Array.isArray(args)) return refuse(`payload: a JSON object ({...}), not ${payload}`);
      }
      // The id the device echoes in its result, so the page can tell which result is its request's.
      const id = typeof args.id === "string" || typeof args.id === "number" ? String(args.id) : `web-${this.next}`;
      const sent = JSON.stringify(args.id === undefined ? { ...args, id } : args);
      const refused = this.sim.command(m.target, name, sent);
      if (refused !== undefined) return refuse(refused);
      if (args.id === undefined) this.next++;
      return { type: "reply", ref, ok: true, sent: { topic: `devices/${m.target}/cmd/${name}`, payload: sent, id } };
    }
    return refuse(`unknown request type ${JSON.stringify(m.type)}: fault or command`);
  }
}
