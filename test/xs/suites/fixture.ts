// A client driven by hand, as a transport would drive it, for the XS suites and benches: connected with a
// CONNACK of preallocated bytes, and its output taken as a socket would take it. Nothing here allocates
// once the client exists, so measured loops can call it.
import { MqttClient } from "../../../firmware/mqtt/index.js";
import type { ClientOptions } from "../../../firmware/mqtt/client/options.js";

const CONNACK = Uint8Array.of(0x20, 2, 0, 0);
const half = () => 0.5;

/** A client that has sent CONNECT and had CONNACK (no session) at time `now`. */
export function connectedClient(now: number, options: Partial<ClientOptions> = {}): MqttClient {
  const client = new MqttClient({ clientId: "xs-client", keepalive: 60, random: half, ...options });
  client.start(now);
  client.shouldOpen(now);
  client.opened(now);
  drain(client, now);
  client.receive(CONNACK, 0, 4, now);
  return client;
}

/** Takes everything the client has to send, as a socket would; returns the bytes taken. */
export function drain(client: MqttClient, now: number): number {
  let total = 0;
  for (let length = client.outputLength(); length > 0; length = client.outputLength()) {
    client.written(length, now);
    total += length;
  }
  return total;
}
