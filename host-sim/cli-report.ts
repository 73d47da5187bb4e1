/**
 * What `npm start` prints, without I/O: the kind of each message by its topic, the counts by kind, the
 * summary (whose parts add up to the clients' own totals), and the event lines, as text or as one JSON
 * object per line (--json). host-sim/cli.ts feeds it; the tests check it directly.
 */

/** A message of the device app by its topic (firmware/app.ts, firmware/telemetry/discovery.ts). */
export type MessageKind = "telemetry" | "status" | "discovery" | "command" | "result" | "other";

export interface Classified {
  kind: MessageKind;
  /** The device the topic belongs to (for discovery, the config's device identifier, else its object id); "" for other. */
  device: string;
  /** The sensor (telemetry) or the command's name (command). */
  name?: string;
}

/**
 * `devices/<id>/telemetry/<sensor>`, `devices/<id>/status`, `devices/<id>/cmd/<name>`, `devices/<id>/cmd-result`,
 * `<prefix>/sensor/<object id>/config` (whose payload names the device: `device.identifiers[0]`).
 */
export function classify(topic: string, payload = ""): Classified {
  const parts = topic.split("/");
  if (parts[0] === "devices" && parts.length >= 3) {
    const device = parts[1];
    if (parts[2] === "telemetry" && parts.length === 4) return { kind: "telemetry", device, name: parts[3] };
    if (parts[2] === "status" && parts.length === 3) return { kind: "status", device };
    if (parts[2] === "cmd" && parts.length === 4) return { kind: "command", device, name: parts[3] };
    if (parts[2] === "cmd-result" && parts.length === 3) return { kind: "result", device };
  }
  if (parts.length === 4 && parts[1] === "sensor" && parts[3] === "config") return { kind: "discovery", device: discoveredDevice(payload) ?? parts[2] };
  return { kind: "other", device: "" };
}

/** The device a discovery config names, if it is one (firmware/telemetry/discovery.ts: `device.identifiers`). */
function discoveredDevice(payload: string): string | undefined {
  try {
    const id = (JSON.parse(payload) as { device?: { identifiers?: unknown[] } } | null)?.device?.identifiers?.[0];
    return typeof id === "string" ? id : undefined;
  } catch {
    return undefined;
  }
}

/** Messages counted by kind. */
export class Tally {
  telemetry = 0;
  status = 0;
  discovery = 0;
  command = 0;
  result = 0;
  other = 0;

  add(kind: MessageKind): void {
    this[kind]++;
  }

  addAll(other: Tally): void {
    for (const kind of KINDS) this[kind] += other[kind];
  }

  get sum(): number {
    return KINDS.reduce((n, kind) => n + this[kind], 0);
  }
}

const KINDS: readonly MessageKind[] = ["telemetry", "status", "discovery", "command", "result", "other"];

export interface Summary {
  devices: number;
  connects: number;
  /** The devices' clients' own count of messages accepted (stats.queued), and its parts by topic. */
  published: number;
  publishedBy: Tally;
  sent: number;
  acked: number;
  resent: number;
  dropped: number;
  /** The subscriber's client's own count of messages delivered (stats.received), and its parts by topic. */
  received: number;
  receivedBy: Tally;
}

/** "telemetry 6 + status 1 + discovery 4 + command results 0", kinds that cannot occur left out, "other" only when there is some. */
function parts(tally: Tally, kinds: readonly MessageKind[]): string {
  const words: Record<MessageKind, string> = { telemetry: "telemetry", status: "status", discovery: "discovery", command: "commands", result: "command results", other: "other" };
  return kinds
    .filter((kind) => kind !== "other" || tally.other > 0)
    .map((kind) => `${words[kind]} ${tally[kind]}`)
    .join(" + ");
}

/** The summary in words: each total, then `=` its parts. */
export function summaryText(s: Summary): string {
  return (
    `summary: ${s.devices} device(s), connects ${s.connects}, ` +
    `published ${s.published} = ${parts(s.publishedBy, ["telemetry", "status", "discovery", "result", "other"])}; ` +
    `sent ${s.sent}, acked ${s.acked}, resent ${s.resent}, dropped ${s.dropped}; ` +
    `the subscriber received ${s.received} = ${parts(s.receivedBy, ["telemetry", "status", "discovery", "command", "result", "other"])}`
  );
}

/** The summary as --json fields. */
export function summaryFields(s: Summary): Record<string, unknown> {
  const by = (t: Tally, withCommands: boolean) => ({
    telemetry: t.telemetry,
    status: t.status,
    discovery: t.discovery,
    ...(withCommands ? { commands: t.command } : {}),
    results: t.result,
    other: t.other,
  });
  return {
    devices: s.devices,
    connects: s.connects,
    published: s.published,
    publishedBy: by(s.publishedBy, false),
    sent: s.sent,
    acked: s.acked,
    resent: s.resent,
    dropped: s.dropped,
    received: s.received,
    receivedBy: by(s.receivedBy, true),
  };
}

/**
 * The event lines. Text: `[  1.2s] <who, 22 wide> <words>`. JSON: `{"time":<s since start>,"device":<who or
 * null>,"kind":<kind>,...fields}`, one object per line. Quiet: only the start and the summaries.
 */
export class EventLog {
  private readonly write: (line: string) => void;
  private readonly elapsed: () => number;
  readonly json: boolean;
  readonly quiet: boolean;

  /** `elapsed`: milliseconds since the start. */
  constructor(write: (line: string) => void, elapsed: () => number, mode: { json: boolean; quiet: boolean }) {
    this.write = write;
    this.elapsed = elapsed;
    this.json = mode.json;
    this.quiet = mode.quiet;
  }

  /**
   * An event of `device` ("subscriber", "broker" or a device's id); `who` heads the text line instead
   * (the subscriber, for a message it received about a device).
   */
  event(device: string, kind: string, fields: Record<string, unknown>, text: string, who = device): void {
    if (!this.quiet) this.line(this.json ? device : who, kind, fields, text);
  }

  /** The first lines: what runs against what (printed even when quiet). */
  start(fields: Record<string, unknown>, text: string): void {
    if (this.json) this.line(null, "start", fields, text);
    else this.write(text + "\n\n");
  }

  summary(s: Summary): void {
    this.line(null, "summary", summaryFields(s), summaryText(s));
  }

  private line(device: string | null, kind: string, fields: Record<string, unknown>, text: string): void {
    const ms = this.elapsed();
    if (this.json) {
      this.write(JSON.stringify({ time: Math.round(ms) / 1000, device, kind, ...fields }) + "\n");
    } else {
      const stamp = `[${(ms / 1000).toFixed(1).padStart(6)}s]`;
      this.write(device === null ? `${stamp} ${text}\n` : `${stamp} ${device.padEnd(22)} ${text}\n`);
    }
  }
}

/** A payload for --json: the string, and `data` when it is a JSON object. */
export function payloadFields(payload: string): Record<string, unknown> {
  if (payload.startsWith("{")) {
    try {
      return { payload, data: JSON.parse(payload) as unknown };
    } catch {
      // not JSON after all: the string alone
    }
  }
  return { payload };
}
