/**
 * The connection's life: stopped, waiting to reconnect, opening the transport, waiting for CONNACK,
 * connected; end() seals it (nothing but DISCONNECT goes out after it, [MQTT-3.14.4-2]); the connect
 * deadline; what the transport is asked (wantsClose) and told (lastReason).
 */
export const ClientState = Object.freeze({
  /** Not started, or ended. */
  Stopped: 0,
  /** Waiting for the next connection attempt (backoff). */
  Waiting: 1,
  /** The transport is opening. */
  Opening: 2,
  /** CONNECT queued or sent; waiting for CONNACK. */
  Connecting: 3,
  Connected: 4,
} as const);
export type ClientState = (typeof ClientState)[keyof typeof ClientState];

export class Lifecycle {
  state: ClientState = ClientState.Stopped;
  /** end() was called: DISCONNECT (if connected), then stop; no reconnect. */
  ending = false;
  /** The transport should be closed (then closed() is called). */
  wantsClose = false;
  /** Why the last connection ended (a DisconnectReason). */
  lastReason = 0;
  nextAttemptAt = 0;
  /** While connecting: when CONNACK is overdue; after end(): when DISCONNECT is. */
  connectDeadline = 0;
  connectedAt = 0;

  /** Whether a transport is (being) opened: Opening, Connecting or Connected. */
  hasTransport(): boolean {
    const s = this.state;
    return s === ClientState.Opening || s === ClientState.Connecting || s === ClientState.Connected;
  }

  /** Whether received bytes are to be read: waiting for CONNACK, or connected, and not ending. */
  reading(): boolean {
    return (this.state === ClientState.Connecting || this.state === ClientState.Connected) && !this.ending;
  }

  start(now: number): void {
    if (this.state !== ClientState.Stopped) return;
    this.ending = false;
    this.state = ClientState.Waiting;
    this.nextAttemptAt = now;
  }

  /** True once per attempt when a connection should be opened now. */
  shouldOpen(now: number, connectTimeout: number): boolean {
    if (this.state !== ClientState.Waiting || now < this.nextAttemptAt) return false;
    this.state = ClientState.Opening;
    this.connectDeadline = now + connectTimeout;
    this.wantsClose = false;
    return true;
  }

  /**
   * The connection is gone: whether it was up, and what comes next (Stopped, or Waiting until `delay`
   * from now; `delay` < 0 when there is no next attempt).
   */
  lost(now: number, reason: number, delay: number): void {
    this.lastReason = reason;
    // Sticky until closed(): a second loss inside an app callback (end() from onError) has no transport
    // of its own, and must not cancel the close the first asked for.
    this.wantsClose = this.wantsClose || this.hasTransport();
    if (this.ending || delay < 0) this.state = ClientState.Stopped;
    else {
      this.state = ClientState.Waiting;
      this.nextAttemptAt = now + delay;
    }
  }
}
