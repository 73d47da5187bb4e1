// The model check on Node: the kept regression vectors, then 10,000 random runs of the real client against
// the reference model (test/model/) at MQTT 3.1.1, and 20,000 at MQTT 5.0 (seeds of their own; with Topic
// Aliases both ways and Message Expiry). A failure
// prints its seed, how to replay it, and the run shrunk.
// Replay one: MODEL_SEED=<seed> MODEL_RUNS=1 npx vitest run test/model/model.test.ts (5.0: MODEL_SEED5, MODEL_RUNS5)
import mqttPacket from "mqtt-packet";
import { describe, expect, it } from "vitest";
import { MqttClient } from "../../firmware/mqtt/index.js";
import { checkRuns, shrink } from "./check.js";
import { readStats as stats, runSteps, type ClientFactory } from "./harness.js";
import { regressions } from "./regressions.js";

/**
 * The client from the model's options (5.0: our Receive Maximum is a CONNECT property). At 5.0 what it
 * writes is also read by mqtt-packet's parser (protocolVersion 5), apart from the model's own decoder
 * (wire.ts): a packet it refuses is a violation (a throw from written()). A new connection starts a new parser.
 */
export const factory: ClientFactory = (o, cb, random) => {
  const client = new MqttClient({ ...o, ...(o.protocolVersion === 5 ? { properties: { receiveMaximum: o.receiveMaximum, topicAliasMaximum: o.topicAliasMaximum } } : {}), random, ...cb } as never);
  if (o.protocolVersion !== 5) return client as never;
  let parser = newParser();
  const opened = client.opened.bind(client);
  const written = client.written.bind(client);
  client.opened = (now: number) => {
    parser = newParser();
    opened(now);
  };
  client.written = (count: number, now: number) => {
    const at = client.outputOffset();
    const bytes = Buffer.from(client.outputBuffer().subarray(at, at + count));
    written(count, now);
    parser.parse(bytes);
    if (parser.error) throw new Error("mqtt-packet (protocolVersion 5) refused what the client wrote: " + parser.error);
  };
  return client as never;
};

function newParser(): { parse(b: Buffer): void; error: string | null } {
  const p = mqttPacket.parser({ protocolVersion: 5 });
  const out = { parse: (b: Buffer) => void p.parse(b), error: null as string | null };
  p.on("error", (e: Error) => (out.error ??= e.message));
  return out;
}

const SEED = Number(process.env.MODEL_SEED ?? 20261201);
const RUNS = Number(process.env.MODEL_RUNS ?? 10_000);
const SEED5 = Number(process.env.MODEL_SEED5 ?? 50_000_000);
const RUNS5 = Number(process.env.MODEL_RUNS5 ?? 20_000);

describe("model check: regression vectors", () => {
  for (const r of regressions) it(r.name, () => expect(runSteps(r.run, factory, stats).violation).toBeNull());
});

describe("model check", () => {
  for (const [version, seed, runs] of [[4, SEED, RUNS], [5, SEED5, RUNS5]] as const) {
    const name = version === 5 ? "MQTT 5.0" : "MQTT 3.1.1";
    it(`${runs} random runs of up to 200 steps at ${name} agree with the model (seed ${seed})`, () => {
      const tally: Record<string, number> = {};
      const r = checkRuns(factory, stats, seed, runs, 200, 1, [], tally, version);
      if (r.failures.length > 0) {
        const f = r.failures[0];
        const s = shrink(f.run, factory, stats);
        const replay = version === 5 ? `MODEL_SEED5=${f.seed} MODEL_RUNS5=1` : `MODEL_SEED=${f.seed} MODEL_RUNS=1`;
        console.log(`model check (${name}) failed at seed ${f.seed} (replay: ${replay})\n${f.violation}\nshrunk to ${s.run.steps.length} steps (keep it in test/model/regressions.ts):\n${JSON.stringify(s.run)}\n${s.violation}`);
      }
      console.log(`model check (${name}): ${r.runs} runs, ${r.steps} steps, seed ${seed}; events seen: ${Object.entries(tally).sort().map(([k, n]) => `${k} ${n}`).join(", ")}`);
      expect(r.failures.map((f) => f.violation)).toEqual([]);
    }, 300_000);
  }
});
