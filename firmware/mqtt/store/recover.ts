/**
 * Start-up: the log's records replayed into the outbox. Per message (the store's number), Publish adds
 * it (a later copy only moves it), Release marks it released, End forgets it; what is left is loaded in
 * message order, the bytes read from flash straight into the outbox. Then:
 *  - a released QoS 2 message is Released: its PUBREL goes again (never its PUBLISH) [MQTT-4.3.3-1];
 *  - the oldest other QoS 1/2 messages, as many as the in-flight window has room for after the released
 *    ones, are Sent: they may have gone before the reset, so they go again with DUP and their ids
 *    [MQTT-4.4.0-1] if the broker kept the session, or as new (resendOnNewSession) if it did not. Not
 *    more: the window is what the broker was told it may hold (mosquitto drops what comes past its
 *    max_inflight_messages, with a PUBACK a 3.1.1 client cannot read as a refusal);
 *  - the rest are Queued, as they were, and go as the window frees. Sending is in age order, so only the
 *    window's can have gone, but for a message acknowledged whose End record a power cut (or a refused
 *    write) kept off the flash: it comes back and may push one that went past the window. A QoS 2 one
 *    there is held (StoredOutbox.hold): drop-oldest, latestPerTopic and expiry never drop it, since the
 *    broker may hold its id, which would swallow a later message given it (§4.3.3 method B);
 *  - a message whose Message Expiry Interval ran out (by the wall clock) is ended, not loaded.
 * Allocates (a Map, an array): runs once, from the constructor.
 */
import { RecordState } from "../client/outbox.js";
import { FLAG_RELEASED, getU32, NO_DEADLINE, PUBLISH_PREFIX, RECORD_HEADER, RecordType } from "./format.js";
import { packetIdAt, readU32 } from "./publish-bytes.js";
import { StoreError } from "./errors.js";
import type { StoredOutbox, StoredOutboxSettings } from "./stored-outbox.js";

interface Found {
  message: number;
  offset: number;
  length: number;
  qos: number;
  released: boolean;
  deadline: number;
  expiryAt: number;
}

export interface Recovered {
  /** The packet id of the newest QoS 1/2 message loaded (the next id follows it), or 0. */
  lastPacketId: number;
  /** Some loaded message has an expiry counted from the start (its expiresAt still needs the clock). */
  expiring: boolean;
}

export function recover(outbox: StoredOutbox, inflight: number, settings: StoredOutboxSettings): Recovered {
  const log = outbox.log;
  const found = new Map<number, Found>();
  let newest = 0;
  log.recover((type, flags, message, offset, bodyLength) => {
    if (message > newest) newest = message;
    const known = found.get(message);
    if (type === RecordType.End) found.delete(message);
    else if (type === RecordType.Release) {
      if (known !== undefined) known.released = true;
    } else if (known !== undefined) {
      known.offset = offset; // a copy made by the collector
      if ((flags & FLAG_RELEASED) !== 0) known.released = true;
    } else {
      const staging = log.staging;
      found.set(message, {
        message,
        offset,
        length: RECORD_HEADER + bodyLength,
        qos: flags & 3,
        released: (flags & FLAG_RELEASED) !== 0,
        deadline: getU32(staging, RECORD_HEADER),
        expiryAt: (staging[RECORD_HEADER + 4] << 8) | staging[RECORD_HEADER + 5],
      });
    }
  });
  outbox.nextMessage = newest + 1;
  const list = [...found.values()].sort((a, b) => a.message - b.message);
  const result: Recovered = { lastPacketId: 0, expiring: false };
  const stats = outbox.storeStats;
  const wallNow = settings.wallClock === null ? NaN : settings.wallClock();
  // The released go whatever the window (their PUBREL is owed): they take their places in it first.
  let window = 0;
  for (const f of list) if (f.released) window++;
  outbox.quiet = true;
  for (const f of list) {
    const packet = f.length - RECORD_HEADER - PUBLISH_PREFIX;
    const expired = f.expiryAt !== 0 && f.deadline !== NO_DEADLINE && wallNow === wallNow && f.deadline <= wallNow / 1000;
    if (expired || !outbox.fits(packet)) {
      if (expired) stats.expired++;
      else {
        stats.notLoaded++;
        settings.onError(StoreError.NotLoaded);
      }
      endUnloaded(outbox, f);
      continue;
    }
    const at = outbox.reserve(packet);
    log.area.read(f.offset + RECORD_HEADER + PUBLISH_PREFIX, outbox.bytes, at, packet);
    const packetId = f.qos > 0 ? packetIdAt(outbox.bytes, at) : 0;
    const i = outbox.add(packet, packetId, f.qos);
    outbox.where[i] = f.offset;
    outbox.recordLength[i] = f.length;
    outbox.message[i] = f.message;
    let held = false;
    if (f.qos > 0) {
      result.lastPacketId = packetId;
      if (f.released) outbox.setState(i, RecordState.Released);
      else if (window < inflight) {
        outbox.setState(i, RecordState.Sent);
        window++;
      } else if (f.qos === 2) held = outbox.hold(i);
    }
    if (f.expiryAt !== 0 && !held) {
      // Counted from the start (started() adds the clock): what the wall clock says is left, or the whole
      // interval again when there is no wall clock.
      const left = f.deadline !== NO_DEADLINE && wallNow === wallNow ? f.deadline - Math.floor(wallNow / 1000) : readU32(outbox.bytes, at + f.expiryAt);
      outbox.expiryAt[i] = f.expiryAt;
      outbox.expiresAt[i] = left * 1000;
      outbox.expiring++;
      result.expiring = true;
    }
    stats.recovered++;
  }
  outbox.quiet = false;
  return result;
}

/** A stored message not loaded: its End record, so it is not found again at the next start. */
function endUnloaded(outbox: StoredOutbox, f: Found): void {
  outbox.endMessage(f.message, f.qos);
}
