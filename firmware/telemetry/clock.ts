/** The device's wall clock, as the telemetry wants it (the monotonic clock is the connection's: MqttConnection.now()). */

/**
 * 2024-01-01 in ms: a board's clock starts at 1970 and only reads later once SNTP (or the app) has set
 * it, so anything before this is "not set" and "ts" is left out of the payload.
 */
export const CLOCK_SET_AFTER = 1_704_067_200_000;

/** Wall-clock ms since the epoch, or undefined while the device clock is not set. */
export function wallClock(): number | undefined {
  const now = Date.now();
  return now >= CLOCK_SET_AFTER ? now : undefined;
}
