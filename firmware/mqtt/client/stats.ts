/**
 * The client's counters, readable at any time; they only grow. After every call:
 *   published = refused + completed + dropped + unconfirmed + queuedCount()
 * (the model check asserts it after every step).
 */
export class ClientStats {
  /** publish() calls with valid arguments: the app's messages. */
  published = 0;
  /** Of those, accepted into the outbox. */
  queued = 0;
  /** Refused for lack of room (QueueFull) or packet ids (NoPacketId): the message stayed the app's. */
  refused = 0;
  /** Done: QoS 0 written whole, QoS 1 acknowledged (PUBACK), QoS 2 completed (PUBCOMP). */
  completed = 0;
  /** QoS 1/2 of the completed (onAcked). */
  acked = 0;
  /** 5.0: of the acked, those the broker refused (a PUBACK or PUBREC reason code of 0x80 and up). */
  rejected = 0;
  /** 5.0: dropped from the outbox because their Message Expiry Interval ran out before they went. */
  expired = 0;
  /** Thrown away by the client: drop-newest and drop-oldest, and QoS 0 cut off by a lost link. */
  dropped = 0;
  /** Given up when a session was lost after the broker may have taken them (onUnconfirmed). */
  unconfirmed = 0;
  /** PUBLISH packets written whole, first sends (a message sent again as new after a lost session counts again). */
  sent = 0;
  /** PUBLISH (DUP) and PUBREL sent again on a resumed session. */
  resent = 0;
  /** Messages delivered to the app. */
  received = 0;
  /** PUBLISH from the broker over maxPacketSize, skipped and acknowledged (onError MessageTooLarge). */
  oversized = 0;
  /** Connections accepted by the broker. */
  connects = 0;
}
