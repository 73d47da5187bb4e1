/**
 * A simulated board's flash and outbox store: when its board file has `"store": {"partition", "size",
 * "sectorSize"?, "qos0"?, "latestPerTopic"?}`, a SimFlash (host-sim/device/flash.ts), in memory or a file
 * per board (<dir>/<deviceId>.flash: the outbox then outlives the process too), and an OutboxStore over
 * it through the same adapter a device uses (firmware/store-flash.ts). And the power-cut fault: the
 * power goes at a random byte of one of the next flash writes; the board's network goes at once (nothing more leaves it), its device app stops, and the board boots again over the same
 * flash file and network, its client resuming the session.
 */
import { mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Device } from "../firmware/app.js";
import { OutboxStore } from "../firmware/mqtt/store/index.js";
import { sdkFlashArea } from "../firmware/store-flash.js";
import type { BoardStoreSpec } from "../firmware/store-device.js";
import { SimFlash } from "./device/flash.js";
import type { SimNetwork } from "./network.js";

/** The board file's `store` (firmware/store-device.ts: what firmware/main.ts opens on a device). */
export type BoardStore = BoardStoreSpec;

/** A folder for board flash files that outlive the process: <tmp>/mqtt-xs-flash. */
export function defaultFlashDir(): string {
  return join(tmpdir(), "mqtt-xs-flash");
}

/**
 * The board's flash and a store over it (with a wall clock, as after SNTP). The flash is a file under
 * `dir` (the outbox then outlives the process), else memory only (it outlives reboots of the board).
 */
export function boardFlash(spec: BoardStore, deviceId: string, dir?: string, existing?: SimFlash): { flash: SimFlash; store: OutboxStore } {
  let flash = existing;
  if (flash === undefined) {
    if (dir !== undefined) mkdirSync(dir, { recursive: true });
    flash = new SimFlash({ size: spec.size, blockSize: spec.sectorSize ?? 4096, path: dir === undefined ? undefined : join(dir, deviceId + ".flash") });
  }
  const store = new OutboxStore({ flash: sdkFlashArea(flash), qos0: spec.qos0, latestPerTopic: spec.latestPerTopic, wallClock: () => Date.now() });
  return { flash, store };
}

/**
 * Arms a power cut on a board: at a random byte of one of its next flash writes (within `withinBytes`
 * bytes), the power goes: its network drops and holds everything, then (on the next turn) its device app
 * is stopped and `reboot` is called with the power back. Returns the byte count armed.
 */
export function armPowerCut(flash: SimFlash, network: SimNetwork, device: () => Device, reboot: () => void, withinBytes = 2048): number {
  const at = Math.floor(Math.random() * withinBytes);
  flash.onCut = () => {
    flash.onCut = null;
    network.wifiDown(); // nothing more leaves the board
    network.drop();
    setImmediate(() => {
      const old = device();
      old.scheduler.stop();
      old.connection.stop(); // its timers; the link is already gone
      flash.powerOn();
      network.wifiUp();
      reboot();
    });
  };
  flash.cutAfter(at);
  return at;
}
