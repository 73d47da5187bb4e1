// The device's store from the board's `store` (firmware/store-device*.ts): on ESP32, the Pico and lin the
// module `flash` opens the partition (the SDK's on ESP32, firmware/native's on the Pico and lin; here
// host-sim's SimFlash under the module name "flash", by partition name as both constructors take it),
// elsewhere none; and firmware/main.ts gives the store to the device's client: a QoS 1 message taken while
// the broker is unreachable is on flash, and the next boot over the same flash has it, with its id. (The C
// of firmware/native runs on XS in a lin build, by hand: see the README's "The outbox on flash".)
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Device } from "../../firmware/app.js";
import { OutboxStore } from "../../firmware/mqtt/store/index.js";
import type { BoardStoreSpec, OpenStore } from "../../firmware/store-device.js";
import type { BoardSpec } from "../../firmware/telemetry/board.js";
import { loadBoard } from "../../host-sim/boards.js";
import { SimFlash } from "../../host-sim/device/flash.js";
import { runOnNetwork, SimNetwork } from "../../host-sim/network.js";
import { records } from "./fixture.js";

/** The device's flash partitions by name, and what mc/config holds for the next main(). */
const state = vi.hoisted(() => ({ partitions: new Map<string, unknown>(), config: {} as Record<string, unknown> }));

vi.mock("flash", () => ({
  // The constructor: a partition by name, or an Error (the SDK's ESP32 one: "can't find partition",
  // modules/files/flash/esp32/flash.c; ours: 'new Flash("x"): no such partition: ...', mqttxs_flash_lin.c).
  default: class {
    constructor(name: string) {
      const flash = state.partitions.get(name);
      if (flash === undefined) throw new Error("can't find partition");
      return flash as object;
    }
  },
}));
// As an esp32, pico or lin build maps mqtt-xs/store-device (manifests/manifest_common.json).
vi.mock("../../firmware/store-device.js", async () => await import("../../firmware/store-device-flash.js"));
vi.mock("mc/config", () => ({ default: state.config }));
vi.mock("embedded:io/socket/tcp", async () => ({ default: (await import("../../host-sim/device/tcp.js")).default }));
vi.mock("embedded:io/socket/tcp/tls", async () => ({ default: (await import("../../host-sim/device/tls.js")).default }));
vi.mock("embedded:io/socket/udp", async () => ({ default: (await import("../../host-sim/device/udp.js")).default }));
vi.mock("embedded:network/dns/resolver/udp", async () => ({ default: (await import("../../host-sim/device/dns.js")).default }));
vi.mock("timer", async () => ({ default: (await import("../../host-sim/device/timer.js")).default }));
vi.mock("time", async () => ({ default: (await import("../../host-sim/device/time.js")).default }));
vi.mock("Resource", async () => ({ default: (await import("../../host-sim/device/resource.js")).default }));
vi.mock("embedded:io/i2c", async () => ({ default: (await import("../../firmware/telemetry/sim/i2c.js")).default }));
vi.mock("embedded:sensor/Humidity-Temperature/SHT3x", async () => ({ default: (await import("../../host-sim/sensors.js")).SimSHT3x }));
vi.mock("embedded:sensor/Barometer-Temperature/BMP280", async () => ({ default: (await import("../../host-sim/sensors.js")).SimBMP280 }));

const withFlash = (await import("../../firmware/store-device-flash.js")).openStore;
const none = (await vi.importActual<{ openStore: OpenStore }>("../../firmware/store-device.js")).openStore;
const { default: main } = await import("../../firmware/main.js");

const spec: BoardStoreSpec = { partition: "storage", size: 65536, sectorSize: 4096 };
const clock = () => NaN;

function partition(name = "storage", size = 128 * 1024): SimFlash {
  const flash = new SimFlash({ size });
  state.partitions.set(name, flash);
  return flash;
}

afterEach(() => state.partitions.clear());

describe("the device's store (firmware/store-device*.ts)", () => {
  it("elsewhere than ESP32, the Pico and lin: none, said once in the log when the board asks for one", () => {
    const lines: string[] = [];
    expect(none(spec, clock, (l) => lines.push(l))).toBeUndefined();
    expect(lines).toEqual(["store: none on this platform (mqtt-xs has one on ESP32, the Pico and lin): the outbox is in RAM only"]);
    expect(none(undefined, clock, (l) => lines.push(l))).toBeUndefined();
    expect(lines.length).toBe(1);
  });

  it("with a flash module: the board's partition through it, as much of it as the board says", () => {
    const flash = partition();
    const lines: string[] = [];
    const store = withFlash(spec, clock, (l) => lines.push(l));
    expect(store).toBeInstanceOf(OutboxStore);
    expect(store!.log.sectors).toBe(16); // 65,536 of the partition's 131,072 bytes
    expect(lines).toEqual(['store: 65536 bytes of partition "storage" (16 sectors of 4096 bytes)']);
    expect(withFlash(undefined, clock, (l) => lines.push(l))).toBeUndefined();
    expect(flash.stats.writes).toBe(0); // nothing written until the client attaches it and publishes
  });

  it("with a flash module: a partition it lacks, a sector size that is not the partition's, a size larger than it: refused with words", () => {
    partition("storage", 32 * 1024);
    const log = () => {};
    expect(() => withFlash({ ...spec, partition: "outbox" }, clock, log)).toThrow(/store.partition "outbox" cannot be opened \(can't find partition\): on ESP32 add a data partition of that name .*; on the Pico and lin it is "storage"$/);
    expect(() => withFlash({ ...spec, sectorSize: 8192 }, clock, log)).toThrow(/store.sectorSize is 8192, but the partition's sector is 4096 bytes/);
    expect(() => withFlash(spec, clock, log)).toThrow(/the partition has 32768 bytes, not 65536/);
    expect(() => withFlash({ ...spec, partition: "" }, clock, log)).toThrow(/store.partition must name a flash partition/);
  });
});

describe("firmware/main.ts gives the board's store to the device's client", () => {
  /** Boots main() with a board that has a store against a port where nothing listens. */
  function boot(board: string): Device {
    Object.assign(state.config, {
      board: loadBoard(board) as unknown as BoardSpec, deviceId: "store-1", broker: "127.0.0.1", port: "9", tls: "false",
      mqttUsername: "", mqttPassword: "", discovery: "false", discoveryPrefix: "homeassistant", interval: "0", dns: "1.1.1.1",
    });
    return runOnNetwork(new SimNetwork({ name: "store-1" }), () => main({}));
  }

  // The ESP32's 64 KB "storage" partition; the Pico W's (and lin's) 64 KB storage area: a partition of 64 KB.
  for (const board of ["esp32_devkit", "pico_w"]) {
    it(`${board}: a QoS 1 message taken while the broker is unreachable is on flash; the next boot over the same flash has it, same id`, () => {
      const flash = partition("storage", 64 * 1024);
      const first = boot(board);
      try {
        const id = first.client.publish("devices/store-1/note", "kept", 1);
        expect(id).toBeGreaterThan(0);
        expect(flash.stats.bytesWritten).toBeGreaterThan(0);
        first.stop();
        const second = boot(board);
        try {
          expect(records(second.client).filter((r) => r.payload === "kept").map((r) => r.id)).toEqual([id]);
        } finally {
          second.stop();
        }
      } finally {
        first.stop();
      }
    });
  }
});
