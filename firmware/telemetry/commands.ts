/**
 * Commands on `devices/<id>/cmd/<name>`, answered on `devices/<id>/cmd-result`. Commands are rare, so
 * parsing their JSON and writing the result allocate (JSON.parse, JSON.stringify); samples never do.
 *
 *   interval  {"sensor":"sht3x","seconds":5[,"maxSeconds":300]}  (no sensor: every sensor)
 *   sample    {"sensor":"sht3x"} or empty                        (no sensor: every sensor; published whatever the deadband)
 *   config    empty                                               (the configuration and each sensor's counters)
 *
 * A payload may carry "id", echoed in the result. Results: {"cmd":<name>,"ok":true,...} or
 * {"cmd":<name>,"ok":false,"error":<why>}.
 */
import type { Scheduler } from "./scheduler.js";
import type { Telemetry } from "./telemetry.js";

export type CommandResult = { cmd: string; ok: boolean; error?: string; id?: unknown } & Record<string, unknown>;

export interface CommandTarget {
  telemetry: Telemetry;
  scheduler: Scheduler;
  /** The configuration report (the `config` command). */
  report(): Record<string, unknown>;
}

/** Shortest and longest interval a command may set, in seconds. */
export const MIN_SECONDS = 0.01;
export const MAX_SECONDS = 86_400;

function parse(payload: string): Record<string, unknown> | string {
  if (payload.trim() === "") return {};
  try {
    const value: unknown = JSON.parse(payload);
    if (value !== null && typeof value === "object" && !Array.isArray(value)) return value as Record<string, unknown>;
    return "payload must be a JSON object";
  } catch {
    return "payload is not valid JSON";
  }
}

/** The tasks a command names: one ("sensor"), or all when it names none. A string is an error. */
function targets(telemetry: Telemetry, args: Record<string, unknown>): number[] | string {
  if (args.sensor === undefined) return telemetry.tasks.map((_, i) => i);
  const index = typeof args.sensor === "string" ? telemetry.indexOf(args.sensor) : -1;
  if (index < 0) return `unknown sensor ${JSON.stringify(args.sensor)}: one of ${telemetry.tasks.map((t) => t.name).join(", ")}`;
  return [index];
}

const seconds = (value: unknown): boolean => typeof value === "number" && value >= MIN_SECONDS && value <= MAX_SECONDS;

/** Runs command `name` with its payload and returns its result (to publish on cmd-result). */
export function runCommand(name: string, payload: string, target: CommandTarget): CommandResult {
  const result: CommandResult = { cmd: name, ok: false };
  const args = parse(payload);
  if (typeof args === "string") return { ...result, error: args };
  if (args.id !== undefined) result.id = args.id;
  const { telemetry, scheduler } = target;
  switch (name) {
    case "interval": {
      const which = targets(telemetry, args);
      if (typeof which === "string") return { ...result, error: which };
      if (!seconds(args.seconds)) return { ...result, error: `seconds must be a number from ${MIN_SECONDS} to ${MAX_SECONDS}` };
      if (args.maxSeconds !== undefined && args.maxSeconds !== 0 && !seconds(args.maxSeconds)) {
        return { ...result, error: `maxSeconds must be 0 or a number from ${MIN_SECONDS} to ${MAX_SECONDS}` };
      }
      for (const index of which) {
        if (args.maxSeconds !== undefined) telemetry.tasks[index].maxIntervalMs = (args.maxSeconds as number) * 1000;
        scheduler.changeInterval(index, (args.seconds as number) * 1000);
      }
      return { ...result, ok: true, sensors: which.map((i) => telemetry.tasks[i].name), seconds: args.seconds };
    }
    case "sample": {
      const which = targets(telemetry, args);
      if (typeof which === "string") return { ...result, error: which };
      for (const index of which) {
        telemetry.tasks[index].force = true;
        scheduler.runSoon(index);
      }
      return { ...result, ok: true, sensors: which.map((i) => telemetry.tasks[i].name) };
    }
    case "config":
      return { ...result, ok: true, ...target.report() };
    default:
      return { ...result, error: "unknown command: one of interval, sample, config" };
  }
}
