// Client bugs found while writing the robustness suites (issue 7), kept as failing cases until firmware fixes them.
import { expect, it } from "vitest";
import { ClientState, MqttClient } from "../../firmware/mqtt/index.js";

// Found by the robustness suites: unsubscribe() of a filter whose SUBSCRIBE still awaited its SUBACK made the
// broker's valid SUBACK a protocol error. Each entry now keeps its SUBSCRIBE's id until that SUBACK comes.
it("unsubscribe() before the SUBACK does not make the broker's SUBACK a protocol error", () => {
  const events: string[] = [];
  const client = new MqttClient({
    clientId: "c1",
    random: () => 0.5,
    onDisconnected: (reason) => events.push("disconnected 0x" + reason.toString(16)),
    onSubscribed: (topic, code) => events.push(`subscribed ${topic} ${code}`),
  });
  const drain = () => {
    const out: number[] = [];
    for (let n = client.outputLength(); n > 0; n = client.outputLength()) {
      out.push(...client.outputBuffer().subarray(client.outputOffset(), client.outputOffset() + n));
      client.written(n, 0);
    }
    return out;
  };
  client.subscribe([{ topic: "a" }, { topic: "b" }]);
  client.start(0);
  client.shouldOpen(0);
  client.opened(0);
  drain();
  client.receive(Uint8Array.of(0x20, 2, 0, 0), 0, 4, 0);
  expect(drain()).toEqual([0x82, 10, 0, 1, 0, 1, 0x61, 0, 0, 1, 0x62, 0]); // SUBSCRIBE id 1: a, b
  client.unsubscribe(["a"]); // before the SUBACK
  expect(drain()).toEqual([0xa2, 5, 0, 2, 0, 1, 0x61]); // UNSUBSCRIBE id 2: a
  client.receive(Uint8Array.of(0x90, 4, 0, 1, 0, 0), 0, 6, 0); // the broker's SUBACK for id 1: two codes, as sent
  expect(events).not.toContain("disconnected 0x82");
  expect(client.state).toBe(ClientState.Connected);
});
