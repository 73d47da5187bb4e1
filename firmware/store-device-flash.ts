/**
 * The device's outbox store where the build has a `flash` module (the module "mqtt-xs/store-device" in an
 * esp32, pico or lin build, see store-device.ts): the board's `store` partition opened with `new
 * Flash(name)`, through store-flash.ts, and an OutboxStore over it. Store errors go to the device's log.
 * - ESP32: the SDK's module ($(MODDABLE)/modules/files/flash: esp_partition_find_first by name, or
 *   "can't find partition"). The SDK's default partition table has no such partition: manifest_common.json's
 *   defines.file.partition "#storage" makes mcconfig add "storage" (data, 64 KB, cut from the factory app
 *   partition; tools/mcmanifest.js).
 * - Pico and lin: ours (firmware/native/, the same class): "storage" is the SDK's storage area of the
 *   Pico's flash (MODDEF_FILE_LFS_PARTITION_SIZE, 64 KB by default), on lin a file with NOR semantics.
 */
import Flash from "flash";
import { OutboxStore, storeErrorMessage } from "./mqtt/store/index.js";
import type { OpenStore } from "./store-device.js";
import { sdkFlashArea } from "./store-flash.js";

export const openStore: OpenStore = (spec, wallClock, log) => {
  if (spec === undefined) return undefined;
  if (spec === null || typeof spec !== "object" || typeof spec.partition !== "string" || spec.partition === "") throw new TypeError('board: store.partition must name a flash partition ("storage")');
  let flash: Flash;
  try {
    flash = new Flash(spec.partition);
  } catch (error) {
    throw new TypeError(
      `board: store.partition "${spec.partition}" cannot be opened (${error instanceof Error ? error.message : String(error)}): ` +
        `on ESP32 add a data partition of that name (the manifest's defines.file.partition "#${spec.partition}" makes mcconfig add one of 64 KB; ` +
        `or a partition table of your own, build.PARTITIONS_FILE); on the Pico and lin it is "storage"`,
    );
  }
  const sectorSize = spec.sectorSize ?? 4096;
  if (flash.blockSize !== sectorSize) throw new RangeError(`board: store.sectorSize is ${sectorSize}, but the partition's sector is ${flash.blockSize} bytes`);
  const store = new OutboxStore({
    flash: sdkFlashArea(flash, spec.size),
    qos0: spec.qos0 === true,
    latestPerTopic: spec.latestPerTopic === true,
    wallClock,
    onError: (code) => log(storeErrorMessage(code)),
  });
  log(`store: ${spec.size} bytes of partition "${spec.partition}" (${store.log.sectors} sectors of ${sectorSize} bytes)`);
  return store;
};
