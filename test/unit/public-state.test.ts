// No writable public state: what the client and the composed client show the app (state, wantsClose,
// lastReason, nextAttemptAt, connected) are getters, so an assignment throws in a module (strict mode)
// instead of corrupting the state machine; the resolved options are frozen; and the types refuse writes
// to stats and options (the @ts-expect-error lines fail `npm run typecheck` if a write becomes allowed).
import { describe, expect, it } from "vitest";
import { ClientState, MqttClient } from "../../firmware/mqtt/index.js";
import { Mqtt } from "../../firmware/net/mqtt.js";
import { fakeDevice } from "../xs/suites/fake-device.js";

describe("public state is read-only", () => {
  it("MqttClient: state, wantsClose, lastReason and nextAttemptAt cannot be assigned; options are frozen", () => {
    const client = new MqttClient({ clientId: "ro" });
    const loose = client as unknown as Record<string, unknown>;
    for (const name of ["state", "wantsClose", "lastReason", "nextAttemptAt"]) {
      const before = loose[name];
      expect(() => {
        loose[name] = 42;
      }, name).toThrow(TypeError);
      expect(loose[name], name).toBe(before);
    }
    expect(client.state).toBe(ClientState.Stopped);
    expect(Object.isFrozen(client.options)).toBe(true);
    expect(() => {
      (client.options as { keepalive: number }).keepalive = 1;
    }).toThrow(TypeError);
  });

  it("the types refuse writes to stats and options", () => {
    const client = new MqttClient({ clientId: "ro-types" });
    const write = () => {
      // @ts-expect-error stats are the client's to count
      client.stats.sent = 1;
      // @ts-expect-error options are resolved once
      client.options.keepalive = 1;
      // @ts-expect-error state is a getter
      client.state = ClientState.Connected;
    };
    expect(write).toThrow(TypeError); // options.keepalive: frozen (stats.sent is only refused by the types)
  });

  it("the composed client: state and connected cannot be assigned", () => {
    const mqtt = new Mqtt({ device: fakeDevice({ now: 0 }), host: "127.0.0.1" });
    const loose = mqtt as unknown as Record<string, unknown>;
    for (const name of ["state", "connected"]) {
      expect(() => {
        loose[name] = 1;
      }, name).toThrow(TypeError);
    }
    expect(mqtt.connected).toBe(false);
  });
});
