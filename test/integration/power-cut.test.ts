/**
 * Power cuts while publishing: our client with a flash store (host-sim's SimFlash, a file, NOR semantics)
 * publishes numbered QoS 1 and QoS 2 messages through Debian's mosquitto; the power goes at a random byte
 * of a random flash write (the write stops there, the board's network goes at once: nothing more leaves
 * it), and the board boots again over the same flash file, its client resuming the session. Two MQTT.js
 * subscribers (persistent sessions) count what arrives. A message is committed when publish() returned
 * its id with the power still on. Asserted: 0 committed messages lost, 0 QoS 2 duplicates (QoS 1
 * duplicates are allowed and reported).
 *
 * CI: 100 cuts (a few seconds). Full (SOAK=full, npm run soak): 1,000 cuts. POWER_CUTS overrides. Without mosquitto:
 * skipped loudly (failed under CI).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ClientError, ClientState } from "../../firmware/mqtt/index.js";
import { OutboxStore } from "../../firmware/mqtt/store/index.js";
import { sdkFlashArea } from "../../firmware/store-flash.js";
import { SimFlash } from "../../host-sim/device/flash.js";
import { Mosquitto, mosquittoAvailable } from "./mosquitto.js";
import { counter, simClient, sleep, waitFor, type SimClient } from "./sim.js";

const FULL = process.env.SOAK === "full";
const CUTS = Number(process.env.POWER_CUTS ?? (FULL ? 1000 : 100));
const available = mosquittoAvailable();
const KINDS: Record<number, string> = { 0x50: "Publish", 0x52: "Release", 0x45: "End" };

describe.skipIf(!available)("power cuts while publishing QoS 1 and QoS 2 through mosquitto", () => {
  let broker: Mosquitto;
  let dir: string;
  beforeAll(async () => {
    broker = await Mosquitto.start();
    dir = mkdtempSync(join(tmpdir(), "mqtt-xs-flash-"));
  });
  afterAll(async () => {
    await broker?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it(`${CUTS} power cuts at random bytes of random flash writes: no committed message lost, no QoS 2 duplicate`, async () => {
    const started = Date.now();
    const sub1 = await counter(broker.url, "pc/q1", 1, { clientId: "pc-sub-q1", clean: false });
    const sub2 = await counter(broker.url, "pc/q2", 2, { clientId: "pc-sub-q2", clean: false });
    const flash = new SimFlash({ size: 16 * 4096, blockSize: 4096, path: join(dir, "board.flash") });
    const committed1 = new Set<number>();
    const committed2 = new Set<number>();
    let n1 = 0;
    let n2 = 0;
    let recovered = 0;
    let storeErrors = 0;
    /** Which writes the cuts fell in: a record (by its type), a sector header, a retire mark. */
    const cutsIn = new Map<string, number>();

    /** A board boot: a new store and client over the same flash, its session resumed. */
    const boot = (): { pub: SimClient; store: OutboxStore } => {
      flash.powerOn();
      const store = new OutboxStore({ flash: sdkFlashArea(flash), onError: () => flash.dead || storeErrors++ });
      const pub = simClient("pc-pub", { host: "127.0.0.1", port: broker.port }, { clean: false, store, inflight: 8, queueSlots: 64, transmitBufferSize: 4096, keepalive: 10 });
      recovered += store.stats.recovered;
      flash.onCut = () => {
        // The power is gone: no byte leaves the board after this one.
        pub.network.wifiDown();
        pub.network.drop();
      };
      pub.connection.start();
      return { pub, store };
    };

    for (let cut = 0; cut < CUTS; cut++) {
      const { pub } = boot();
      // Every other boot arms the cut once connected, so more cuts fall among the acks' records.
      if (cut % 2 === 1) await waitFor(() => pub.client.state === ClientState.Connected, 10_000, "a connection");
      flash.cutAfter(Math.floor(Math.random() * 1500));
      while (!flash.dead) {
        for (let k = 0; k < 8 && !flash.dead; k++) {
          const qos2 = (n1 + n2) % 3 === 2;
          const n = qos2 ? n2 : n1;
          const id = pub.client.publish(qos2 ? "pc/q2" : "pc/q1", String(n), qos2 ? 2 : 1);
          if (id === ClientError.QueueFull) break;
          if (qos2) n2++;
          else n1++;
          if (flash.dead) break; // the power went in this publish(): it never returned (its StoreFailed went to no one)
          if (id < 0) throw new Error("publish refused: " + id);
          (qos2 ? committed2 : committed1).add(n);
        }
        pub.connection.service();
        await sleep(Math.random() < 0.5 ? 0 : 2);
      }
      pub.connection.stop(); // the old instance's timers; its network is already gone
      const w = flash.cutWrite!;
      const kind = w.length === 16 && w.offset % 4096 === 0 ? "sector header" : w.length === 4 && w.offset % 4096 === 0 ? "retire" : (KINDS[w.first] ?? "other");
      cutsIn.set(kind, (cutsIn.get(kind) ?? 0) + 1);
    }
    const { pub, store } = boot();
    await waitFor(() => pub.client.queuedCount() === 0 && pub.client.state === ClientState.Connected, 20_000, "the last boot to deliver everything").catch((e) => {
      throw new Error(`${e.message}: ${pub.client.queuedCount()} queued, state ${pub.client.state}, events ${pub.events.slice(-8).join("; ")}`);
    });
    await sleep(500); // a late duplicate arrives now
    const lost1 = [...committed1].filter((n) => !sub1.counts.has(n)).length;
    const lost2 = [...committed2].filter((n) => !sub2.counts.has(n)).length;
    const perMessage = flash.stats.bytesWritten / (n1 + n2);
    console.log(
      `power cuts (mosquitto): ${CUTS} cuts in ${((Date.now() - started) / 1000).toFixed(1)} s; committed QoS 1 ${committed1.size}, QoS 2 ${committed2.size}; ` +
        `lost: QoS 1 ${lost1}, QoS 2 ${lost2}; duplicates: QoS 1 ${sub1.duplicates()} (allowed), QoS 2 ${sub2.duplicates()}; ` +
        `loaded back at boots ${recovered}; flash: ${flash.stats.bytesWritten} bytes in ${flash.stats.writes} writes (${perMessage.toFixed(1)} per message), ` +
        `${flash.stats.erases} erases, most erases of one sector ${Math.max(...flash.stats.eraseCounts)}; cuts in ${JSON.stringify(Object.fromEntries(cutsIn))}`,
    );
    await sub1.close();
    await sub2.close();
    pub.connection.stop();
    flash.close();
    expect(lost1, "committed QoS 1 lost").toBe(0);
    expect(lost2, "committed QoS 2 lost").toBe(0);
    expect(sub2.duplicates(), "QoS 2 duplicates").toBe(0);
    expect(storeErrors, "store errors with the power on").toBe(0);
    expect(store.stats.failed).toBe(0);
    expect(committed1.size + committed2.size).toBeGreaterThan(CUTS);
    // The cuts reached every kind of record, not only new messages.
    for (const kind of ["Publish", "Release", "End"]) expect(cutsIn.get(kind) ?? 0, `cuts in ${kind} records`).toBeGreaterThan(0);
  }, 600_000);
});
