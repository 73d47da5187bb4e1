/**
 * `npm run bench`: every figure beside its peer's, measured in one run on one machine, as ratios.
 * Writes bench/results.json (one record per figure) and bench/results.md (the table the README shows).
 * Absolute numbers are printed for reference; nothing here is asserted.
 *
 *   node build/bench/run.js            the full run: Node figures the median of 7 rounds, end to end 7 rounds
 *                                      of 50,000 messages per client and QoS, through mosquitto (about 3 minutes
 *                                      on 2 cores) and then over WebSockets through aedes (about 6 more)
 *   node build/bench/run.js --quick    3 rounds of 100 ms per codec figure, end to end 3 rounds (about 4 minutes)
 *   --no-e2e                           skip both end-to-end sections (no mosquitto needed)
 *   --codec                            the codec figures only (Node and XS), printed; bench/results.* left as they are
 *   --ws                               the WebSocket end-to-end rows only (aedes over ws, no mosquitto needed), printed;
 *                                      bench/results.* left as they are (with --quick: 3 rounds)
 *   --client                           the XS client, adapter and telemetry rows only (computrons, bytes, RAM;
 *                                      about 30 s), printed; bench/results.* left as they are
 *   --store                            the flash store rows only (bench/store-xs.ts: a persisted publish on XS,
 *                                      flash bytes per message, RAM; about 20 s), printed; bench/results.* left as they are
 *   --fleet                            the fleet rows only (bench/fleet.ts: a search over device counts, each step a
 *                                      60 s window through mosquitto, 5 to 8 steps, then 10,000 boards at their own
 *                                      intervals for 60 s; about 10 minutes), printed;
 *                                      bench/results.* left as they are (with --quick: 20 s windows). The full
 *                                      run includes them (with the end-to-end section).
 *
 * BENCH_PROFILE_DIR=dir writes a CPU profile of every end-to-end publisher there; node build/bench/profile.js dir
 * summarises them (per message, from "go" to the last message finished).
 */
import { writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { codecNode } from "./codec-node.js";
import { clientXs } from "./client-xs.js";
import { storeXs } from "./store-xs.js";
import { codecXs } from "./codec-xs.js";
import { endToEnd, endToEndWs } from "./e2e.js";
import { fleetFigures, WINDOW_S } from "./fleet.js";
import { BenchBroker } from "./e2e-broker.js";
import { ratio, type Figure } from "./figure.js";

const quick = process.argv.includes("--quick");
const codecOnly = process.argv.includes("--codec");
const wsOnly = process.argv.includes("--ws");
const fleetOnly = process.argv.includes("--fleet");
const clientOnly = process.argv.includes("--client");
const storeOnly = process.argv.includes("--store");
const apart = codecOnly || wsOnly || fleetOnly || clientOnly || storeOnly; // a part measured alone: printed, bench/results.* left as they are
const e2e = !apart && !process.argv.includes("--no-e2e");
const fleet = fleetOnly || e2e;
const fleetWindow = quick ? 20 : WINDOW_S;
const e2eWs = wsOnly || e2e;
const rounds = quick ? 3 : 7;
const ms = quick ? 100 : 300;
const e2eRounds = quick ? 3 : 7;
const e2eCount = 50_000;
const started = performance.now();
const elapsed = () => `${((performance.now() - started) / 1000).toFixed(0).padStart(4)} s`;
const progress = (line: string) => process.stderr.write(`[${elapsed()}] ${line}\n`);

const figures: Figure[] = [];
progress(
  fleetOnly
    ? `bench --fleet${quick ? " --quick" : ""}: the fleet rows only, ${fleetWindow} s windows`
    : wsOnly
    ? `bench --ws${quick ? " --quick" : ""}: the WebSocket end-to-end rows only, ${e2eRounds} rounds of ${e2eCount.toLocaleString("en-US")} messages (medians reported)`
    : `bench${quick ? " --quick" : ""}: ${rounds} rounds of ${ms} ms per Node codec figure, ${e2e ? `${e2eRounds} end-to-end rounds of ${e2eCount.toLocaleString("en-US")} messages` : "no end-to-end section"} (medians reported)`,
);
if (!wsOnly && !fleetOnly && !clientOnly && !storeOnly) {
  figures.push(...codecNode(rounds, ms, progress));
  figures.push(...(await codecXs(progress)));
}
if (!apart || clientOnly) figures.push(...(await clientXs(progress)));
if (!apart || storeOnly) figures.push(...(await storeXs(progress)));
if (e2e) figures.push(...(await endToEnd({ rounds: e2eRounds, count: e2eCount, mqttjsWindow: 64 }, progress)));
if (e2eWs) figures.push(...(await endToEndWs({ rounds: e2eRounds, count: e2eCount, mqttjsWindow: 64 }, progress)));
if (fleet) figures.push(...(await fleetFigures(progress, fleetWindow)));

const machine = `${cpus()[0]?.model?.trim() ?? "unknown CPU"}, ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${process.platform} ${process.arch}`;
const flags = [quick ? "--quick" : "", codecOnly ? "--codec" : wsOnly ? "--ws" : fleetOnly ? "--fleet" : clientOnly ? "--client" : storeOnly ? "--store" : e2e ? "" : "--no-e2e"].filter(Boolean);
const command = `npm run bench${flags.length ? " -- " + flags.join(" ") : ""}`;
const format = (value: number) =>
  !Number.isFinite(value) ? "n/a" : value >= 100 ? Math.round(value).toLocaleString("en-US") : value === 0 ? "0" : value.toFixed(value >= 10 ? 1 : 2);

/** Whether the figure meets its target (a ratio, or a ceiling on ours); null without one. */
function met(f: Figure): boolean | null {
  const r = ratio(f);
  if (f.target !== undefined) return r !== null && r >= f.target;
  if (f.ceiling !== undefined) return f.ours <= f.ceiling;
  return null;
}
/** How far a missed target is, and its measured cause when the figure gives one. */
function distance(f: Figure): string {
  const r = ratio(f);
  const far =
    f.target !== undefined ? (r === null ? "" : `; distance: ${r.toFixed(2)}x of ${f.target}x`) : f.ceiling !== undefined ? `; distance: ${format(f.ours - f.ceiling)} above` : "";
  return far + (f.cause ? `; cause: ${f.cause}` : "");
}
function goal(f: Figure): string {
  if (f.target !== undefined) return f.higherIsBetter ? `>= ${f.target}x the peer` : `<= 1/${f.target} of the peer's`;
  if (f.ceiling !== undefined) return `<= ${format(f.ceiling)}`;
  return "";
}

const rows = figures.map((f) => {
  const r = ratio(f);
  const ok = met(f);
  return {
    name: f.name,
    ours: format(f.ours),
    peer: f.peer === null ? "" : `${format(f.peer)} (${f.peerName})`,
    unit: f.unit,
    ratio: r === null ? "" : `${r.toFixed(2)}x`,
    target: ok === null ? "" : `${goal(f)}: ${ok ? "**met**" : `**missed**${distance(f)}`}`,
    reference: f.reference ?? "",
  };
});
const table = [
  "| figure | ours | peer | unit | ours better by | target | reference |",
  "|---|---:|---:|---|---:|---|---|",
  ...rows.map((r) => `| ${r.name} | ${r.ours} | ${r.peer} | ${r.unit} | ${r.ratio} | ${r.target} | ${r.reference} |`),
].join("\n");
const notes = [
  "- Ratios are ours over the peer's for rates, the peer's over ours for costs: above 1, ours is better.",
  ...(wsOnly
    ? []
    : [
        `- Node codec figures: the median of ${rounds} timed rounds of ${ms} ms, ours and mqtt-packet alternating in one process.`,
        "- MQTT 5.0 rows: the same PUBLISH with a Topic Alias (3), a Message Expiry Interval (3,600 s), a Content Type and two User Properties",
        "  (bench/telemetry-packet.ts: 49 bytes of properties), mqtt-packet at protocol version 5. Ours writes the properties from plain values",
        "  (properties.ts's writers, into a 64-byte scratch) on every encode and encodePublish copies them in; a decode reads every property:",
        "  ours in place (the numbers, where each string's bytes are, each User Property), mqtt-packet's handler from the object it built.",
        "- XS figures: exact counters of the instrumented XS runner (build/xs/xsprobe); computrons net of the measuring loop;",
        "  heap allocated is the peak slot count x 16 bytes (a slot on a 32-bit device) + peak chunk bytes over 10,000 operations, per operation.",
        "  Moddable's figures beside them are the published ones (../shared/XS-NOTES.md), not measured here.",
      ]),
  ...(e2e
    ? [
        `- End to end: Debian's mosquitto on loopback (${BenchBroker.settings.join(", ")}); each client publishes ${e2eCount.toLocaleString("en-US")} telemetry`,
        "  PUBLISH (48-byte payload, bench/telemetry-packet.ts) from its own process (bench/e2e-publisher.ts), ours and MQTT.js alternating,",
        `  median of ${e2eRounds} rounds. An MQTT.js subscriber subscribed at QoS 0 counts the arrivals. messages/s: count / (go -> last arrival);`,
        "  CPU: the publishing process's process.cpuUsage() (user + system) from go to its last message finished (QoS 0 written, QoS 1/2 acked).",
        "  Ours: the simulator's client (firmware/mqtt/client.ts + firmware/net/connection.ts over host-sim's ECMA-419 TCP, 1,536-byte socket",
        "  buffer), inflight 64, transmit buffer 64 KiB, 512 queue slots, publishing until QueueFull and then waiting for room.",
        "  MQTT.js: at most 64 publishes whose callback has not fired (all 50,000 at once is about 40x slower at QoS 0, a 'drain' listener per",
        "  publish, and about 10x slower at QoS 2, where the broker tracks 50,000 in flight; about 10% faster at QoS 1). mosquitto_pub -l -M 64",
        "  fed the same lines is the reference for what the broker and subscriber allow (its CPU from /proc, 10 ms resolution).",
        "- Profiles of the publishers: `BENCH_PROFILE_DIR=/tmp/prof node build/bench/run.js --quick`, then `node build/bench/profile.js /tmp/prof`.",
      ]
    : []),
  ...(fleet
    ? [
        `- Fleet (bench/fleet.ts): simulated boards (host-sim/fleet/: the firmware's device app, each its own client, buffers and socket) on worker`,
        `  threads, one per core, through Debian's mosquitto on loopback (${BenchBroker.settings.join(", ")}; a fresh one per step).`,
        "  esp32_devkit's two sensors every 2 s without their deadbands: 1 QoS 1 message/s per board. A step: every board connected, 5 s,",
        `  then a ${fleetWindow} s window; it holds when no board disconnects, the subscriber (ours, QoS 0, on the main thread) receives >= 99% of`,
        "  a message per board per second, and the p99 of sample \"ts\" -> arrival is under 100 ms. The count doubles from 2,000 while steps hold,",
        "  then is bisected to 10%. CPU: process.cpuUsage() of the whole process over the window; memory: RSS above the fleet's start, per board.",
        "  The 10,000-board row: esp32_devkit as its board file has it (sht3x every 10 s, bmp280 every 30 s, with deadbands), the same window.",
      ]
    : []),
  ...(e2eWs
    ? [
        "- End to end over WebSockets (the e2e ws rows): aedes served by `ws` at ws://127.0.0.1:<port>/mqtt in its own Node process",
        "  (bench/aedes-ws.ts; Debian's mosquitto has no websockets), the same publishers, counts, rounds and figures as the rows through",
        "  mosquitto, ours and MQTT.js alternating in one run, an MQTT.js subscriber over ws counting. Ours: the same simulator client with",
        "  `websocket: \"/mqtt\"`, so MqttConnection runs over firmware/net/ws/ (webSocketOver: masked frames, 1,024-byte stage and receive ring)",
        "  over host-sim's TCP; MQTT.js: its own ws:// transport. No C client speaks ws here: aedes's own CPU per message is the reference.",
      ]
    : []),
].join("\n");
const records = figures.map((f) => ({
  name: f.name, ours: f.ours, peer: f.peer, unit: f.unit, ratio: ratio(f),
  peerName: f.peerName, target: f.target ?? null, ceiling: f.ceiling ?? null, met: met(f), reference: f.reference ?? null,
}));
if (apart) {
  // The figures as results.json records them, then the table: for adding rows to bench/results.* by hand.
  console.log(JSON.stringify({ machine, command, date: new Date().toISOString(), seconds: Math.round((performance.now() - started) / 1000), figures: records }, null, 2));
  console.log(`\n${command} on ${new Date().toISOString().slice(0, 10)} in ${elapsed().trim()}: ${machine}\n\n${table}\n\n(${codecOnly ? "--codec" : wsOnly ? "--ws" : clientOnly ? "--client" : storeOnly ? "--store" : "--fleet"}: bench/results.md and bench/results.json left as they are)\n\n${notes}`);
  process.exit(0);
}
const markdown = `# Benchmark results\n\nMeasured by \`${command}\` on ${new Date().toISOString().slice(0, 10)} in ${elapsed().trim()}: ${machine}.\n\n${table}\n\n${notes}\n`;
writeFileSync(new URL("./results.md", import.meta.url).pathname.replace("/build/bench/", "/bench/"), markdown);
writeFileSync(
  new URL("./results.json", import.meta.url).pathname.replace("/build/bench/", "/bench/"),
  JSON.stringify(
    {
      machine,
      command,
      date: new Date().toISOString(),
      seconds: Math.round((performance.now() - started) / 1000),
      figures: records,
    },
    null,
    2,
  ) + "\n",
);
console.log(`\n${machine}\n\n${table}\n\nwrote bench/results.md and bench/results.json in ${elapsed().trim()}`);
