/**
 * mqtt-xs/store: the outbox on flash. `new OutboxStore({ flash })` and pass it as the client's `store`.
 * On a device the flash is firmware/store-flash.ts's sdkFlashArea over the SDK's `flash` module.
 */
export { OutboxStore, RECORD_OVERHEAD, type StoreOptions } from "./store.js";
export { StoreError, StoreStats, storeErrorMessage } from "./errors.js";
export type { FlashArea } from "./flash-area.js";
export { LogStats } from "./log.js";
