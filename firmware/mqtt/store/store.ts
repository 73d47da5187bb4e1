/**
 * OutboxStore: the client's outbox kept on flash, so QoS 1/2 messages (and, if asked, QoS 0 ones) survive
 * a reset or deep sleep. Given to the client as `store` (ClientOptions); the client then keeps its outbox
 * in a StoredOutbox whose records are mirrored in a log on flash (format.ts, log.ts) and loaded back at
 * start-up (recover.ts). The outbox's sizes (transmitBufferSize, queueSlots) bound what the store holds,
 * so the queue policies (reject, drop-oldest, drop-newest) are the store's too; latestPerTopic adds
 * "a topic keeps only its newest unsent message".
 */
import type { Outbox } from "../client/outbox.js";
import type { FlashArea } from "./flash-area.js";
import { PUBLISH_PREFIX, RECORD_HEADER } from "./format.js";
import { FlashLog } from "./log.js";
import { recover } from "./recover.js";
import { StoreStats } from "./errors.js";
import { StoredOutbox } from "./stored-outbox.js";

export interface StoreOptions {
  /** The flash the log lives on: firmware/store-flash.ts over the SDK's `flash` module, or any FlashArea. */
  flash: FlashArea;
  /** QoS 0 messages are stored too (telemetry taken while offline survives a reset). Default false. */
  qos0?: boolean;
  /** A message replaces the unsent (queued) message on the same topic, if any. Default false. */
  latestPerTopic?: boolean;
  /**
   * Milliseconds since 1970 (NaN while unknown), e.g. Date.now after SNTP: a 5.0 message's Message Expiry
   * Interval is then counted across a reset. Without it the interval starts again at start-up.
   */
  wallClock?: () => number;
  /** A record could not be written (a StoreError code: storeErrorMessage has the words). */
  onError?: (code: number) => void;
}

/** Bytes a message takes in the log beyond its PUBLISH: its record's header, body prefix and padding. */
export const RECORD_OVERHEAD = RECORD_HEADER + PUBLISH_PREFIX + 3;

export class OutboxStore {
  readonly stats = new StoreStats();
  readonly log: FlashLog;
  /** After attach(): the packet id of the newest QoS 1/2 message loaded back (the client's next id follows it). */
  lastPacketId = 0;
  private outbox: StoredOutbox | null = null;
  private expiring = false;
  private readonly options: StoreOptions;

  /** @throws TypeError or RangeError naming what is wrong with the flash or an option */
  constructor(options: StoreOptions) {
    const flash = options?.flash;
    if (flash === null || typeof flash !== "object" || typeof flash.read !== "function" || typeof flash.write !== "function" || typeof flash.erase !== "function") {
      throw new TypeError("store: flash must have read(), write() and erase() (a FlashArea)");
    }
    const sector = flash.sectorSize;
    if (typeof sector !== "number" || (sector | 0) !== sector || sector < 256) throw new RangeError(`store: flash.sectorSize must be a whole number of at least 256 bytes, not ${String(sector)}`);
    const sectors = Math.floor(flash.size / sector);
    if (!(sectors >= 3)) throw new RangeError(`store: the flash area must hold at least 3 sectors of ${sector} bytes, not ${String(flash.size)} bytes`);
    if (options.wallClock !== undefined && typeof options.wallClock !== "function") throw new TypeError("store: wallClock must be a function");
    this.options = options;
    this.log = new FlashLog(flash);
  }

  /**
   * Called by the client's constructor: makes its outbox and loads back what the flash holds (recover.ts).
   * @throws RangeError when the flash cannot hold a full outbox, or Error when attached twice
   */
  attach(capacity: number, slots: number, inflight: number, protocolVersion: 4 | 5, storage?: Uint8Array): Outbox {
    if (this.outbox !== null) throw new Error("store: already attached to a client (one store per client)");
    const log = this.log;
    const need = capacity + slots * RECORD_OVERHEAD + log.usable;
    const holds = (log.sectors - 2) * log.usable;
    if (holds < need) {
      const sectors = Math.ceil(need / log.usable) + 2;
      throw new RangeError(`store: ${log.sectors} sectors of ${log.sectorSize} bytes hold ${holds} bytes of records; transmitBufferSize ${capacity} and queueSlots ${slots} need ${need}: give it ${sectors} sectors (${sectors * log.sectorSize} bytes)`);
    }
    const options = this.options;
    const settings = {
      qos0: options.qos0 === true,
      latestPerTopic: options.latestPerTopic === true,
      v5: protocolVersion === 5,
      wallClock: options.wallClock ?? null,
      onError: options.onError ?? (() => {}),
    };
    const outbox = (this.outbox = new StoredOutbox(capacity, slots, log, settings, this.stats, storage));
    const found = recover(outbox, inflight, settings);
    this.lastPacketId = found.lastPacketId;
    this.expiring = found.expiring;
    return outbox;
  }

  /** The client started at `now` (its clock): expiries loaded back, counted from the start, are put on it. */
  started(now: number): void {
    const outbox = this.outbox;
    if (!this.expiring || outbox === null) return;
    this.expiring = false;
    for (let i = outbox.first; i !== -1; i = outbox.next[i]) if (outbox.expiryAt[i] !== 0) outbox.expiresAt[i] += now;
  }

  /** RAM the store adds to the outbox's: the staging buffer, per-record and per-sector tables. */
  ramBytes(): number {
    const log = this.log;
    const slots = this.outbox === null ? 0 : this.outbox.slots;
    return log.usable + 16 + 4 + log.sectors * 4 + slots * 17;
  }
}
