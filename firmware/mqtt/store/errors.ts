/**
 * What the store reports: its errors (onError's codes, with words) and its counters.
 */
/** What went wrong in the store: onError's code (storeErrorMessage has the words). */
export const StoreError = Object.freeze({
  /**
   * The flash refused a write or an erase: a new message is refused (publish() returns
   * ClientError.StoreFailed); a QoS 2 message whose Release record was not written stays Sent (no PUBREL:
   * its PUBLISH goes again with DUP after a reconnect); one whose End record was not written comes back
   * at the next start as the flash last had it (QoS 1 sent again; QoS 2 released: PUBREL again).
   */
  WriteFailed: 1,
  /** A PUBLISH larger than a flash sector less 36 bytes: refused (publish() returns ClientError.StoreFailed). */
  TooLarge: 2,
  /** No room in the log even after collecting (it holds more live records than it was sized for). */
  Full: 3,
  /** At start-up, a stored message did not fit the outbox (it was made smaller): ended, not sent. */
  NotLoaded: 4,
} as const);

export function storeErrorMessage(code: number): string {
  switch (code) {
    case StoreError.WriteFailed:
      return "store: the flash refused a write";
    case StoreError.TooLarge:
      return "store: message larger than a flash sector less 36 bytes";
    case StoreError.Full:
      return "store: no room on flash";
    case StoreError.NotLoaded:
      return "store: a stored message did not fit the outbox at start-up (dropped)";
    default:
      return "store: unknown error " + code;
  }
}

export class StoreStats {
  /** Records written: Publish, Release, End. */
  published = 0;
  released = 0;
  ended = 0;
  /** latestPerTopic: unsent messages replaced by a newer one on their topic (the client counts them dropped). */
  superseded = 0;
  /** Records that could not be written (onError said why). */
  failed = 0;
  /** At start-up: messages loaded back, and those dropped as expired or for lack of room. */
  recovered = 0;
  expired = 0;
  notLoaded = 0;
}
