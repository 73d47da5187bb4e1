/**
 * The device's outbox store, from the board's `store` (boards/*.json): what firmware/main.ts imports as
 * "./store-device.js" (the module "mqtt-xs/store-device"). The manifests give each platform its own
 * module under that name (manifests/manifest_common.json "platforms"): on ESP32, the Pico and lin
 * store-device-flash.ts, over the module `flash` (ESP32: the SDK's modules/files/flash; Pico and lin: ours,
 * firmware/native/, as the SDK's builds for esp, esp32 and nrf52 only); on every other platform this
 * one, which opens none: the build runs with the RAM outbox and says so once. Node (host-sim, tests)
 * imports this one too: the simulator gives its boards a store itself (host-sim/board-flash.ts).
 */
import type { OutboxStore } from "./mqtt/store/index.js";

/** A board's `store`: the flash partition the outbox lives on, and the store's options. */
export interface BoardStoreSpec {
  /** The partition's name: "storage" (ESP32: a data partition of the partition table; Pico: the SDK's storage area; lin: a file). */
  partition: string;
  /** Bytes of it the store uses: a whole number of sectors (the partition's, 4,096 on ESP32 and the Pico). */
  size: number;
  /** The flash's erase sector, checked against the partition's. Default 4,096. */
  sectorSize?: number;
  /** QoS 0 messages are stored too. */
  qos0?: boolean;
  /** A publish replaces the unsent message on its topic. */
  latestPerTopic?: boolean;
}

/**
 * Opens the board's store, or answers undefined (no `store` in the board, or none on this platform).
 * @param wallClock - ms since 1970, NaN while the clock is not set (Message Expiry across a reset)
 * @param log - one line for the device's log
 * @throws TypeError or RangeError naming what is wrong with the board's `store` or the partition
 */
export type OpenStore = (spec: BoardStoreSpec | undefined, wallClock: () => number, log: (line: string) => void) => OutboxStore | undefined;

export const openStore: OpenStore = (spec, _wallClock, log) => {
  if (spec !== undefined) log(`store: none on this platform (mqtt-xs has one on ESP32, the Pico and lin): the outbox is in RAM only`);
  return undefined;
};
