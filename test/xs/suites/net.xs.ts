// The composed client (firmware/net/mqtt.ts) on the XS engine, over a scripted device: connect() from a
// URL, callbacks called with `this` bound to it, what it writes for publish, subscribe and end, and the
// words of its refusals. Run by test/xs/net.test.ts.
import { ClientError, DisconnectReason, type ClientArgumentError } from "../../../firmware/mqtt/index.js";
import { TransportCause } from "../../../firmware/net/index.js";
import { connect, Mqtt, parseBrokerUrl } from "../../../firmware/net/mqtt.js";
import type { SocketConstructor, TLSOptions } from "../../../firmware/net/device.js";
import { FakeSocket, FakeTimers, fakeDevice } from "./fake-device.js";
import { assertEqual, assertTrue, run, test } from "./harness.js";

const CONNACK = [0x20, 2, 0, 0];

/** The message of what fn throws, or "" when it does not throw. */
function thrown(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    return (error as Error).name + ": " + (error as Error).message;
  }
  return "";
}

test("connect() opens the URL's address, and CONNECT, PUBLISH, SUBSCRIBE and DISCONNECT go out from calls with this bound", () => {
  const clock = { now: 1000 };
  const seen: string[] = [];
  const mqtt = connect("mqtt://10.0.0.1:1884", {
    device: fakeDevice(clock),
    clientId: "xs",
    keepalive: 0,
    onConnected(present) {
      seen.push("connected " + present + " " + (this === mqtt));
      this.publish("t", "hi", 1);
    },
    onAcked(id) {
      seen.push("acked " + id + " " + (this === mqtt));
    },
  });
  const socket = FakeSocket.last!;
  assertEqual(socket.options.address, "10.0.0.1", "address");
  assertEqual(socket.options.port, 1884, "port");
  socket.drain(1024);
  assertEqual(socket.take().join(), [0x10, 14, 0, 4, 77, 81, 84, 84, 4, 2, 0, 0, 0, 2, 120, 115].join(), "CONNECT");
  socket.deliver(CONNACK);
  assertEqual(mqtt.connected, true, "connected");
  assertEqual(socket.take().join(), [0x32, 7, 0, 1, 116, 0, 1, 104, 105].join(), "PUBLISH from onConnected, written at once");
  socket.deliver([0x40, 2, 0, 1]);
  let handled = "";
  mqtt.subscribe("a/+", 1, function (message) {
    handled = message.topicString() + " " + message.payloadString() + " " + (this === mqtt);
  });
  assertEqual(socket.take().join(), [0x82, 8, 0, 2, 0, 3, 97, 47, 43, 1].join(), "SUBSCRIBE written by the call");
  socket.deliver([0x90, 3, 0, 2, 1, 0x30, 6, 0, 3, 97, 47, 98, 120]);
  assertEqual(handled, "a/b x true", "the subscription's handler");
  mqtt.end();
  assertEqual(socket.take().join(), [0xe0, 0].join(), "DISCONNECT");
  assertEqual(socket.closed, true, "socket closed");
  assertEqual(seen.join("; "), "connected false true; acked 1 true", "callbacks");
});

/** A composed client connected over a fake socket, with the timers the test fires and the errors it reports. */
function connected(clientId: string): { mqtt: Mqtt; socket: FakeSocket; timers: FakeTimers; errors: number[] } {
  const timers = new FakeTimers();
  const errors: number[] = [];
  const mqtt = connect("mqtt://10.0.0.4", {
    device: fakeDevice({ now: 0 }, timers),
    clientId,
    keepalive: 0,
    onError(code) {
      errors.push(code);
    },
  });
  const socket = FakeSocket.last!;
  socket.drain(1024);
  socket.deliver(CONNACK);
  socket.take();
  return { mqtt, socket, timers, errors };
}

test("end() waits for a QoS 1 message's PUBACK before DISCONNECT, as MQTT.js's end() does", () => {
  const { mqtt, socket, timers, errors } = connected("ending");
  assertEqual(mqtt.publish("t", "x", 1), 1, "queued with packet id 1");
  assertEqual(socket.take()[0], 0x32, "PUBLISH written");
  mqtt.end();
  timers.fire();
  assertEqual(socket.take().length, 0, "no DISCONNECT while the message is unacknowledged");
  assertEqual(socket.closed, false, "still open");
  socket.deliver([0x40, 2, 0, 1]);
  timers.fire();
  assertEqual(socket.take().join(), [0xe0, 0].join(), "DISCONNECT once acknowledged");
  assertEqual(socket.closed, true, "socket closed");
  assertEqual(errors.length, 0, "nothing reported undelivered");
});

test("end(true), or a connection lost while end() waits, closes at once and reports EndedUndelivered", () => {
  const forced = connected("forced");
  forced.mqtt.publish("t", "x", 1);
  forced.mqtt.end(true);
  assertEqual(forced.socket.closed, true, "end(true) closes at once");
  assertEqual(forced.errors.join(), String(ClientError.EndedUndelivered), "and says what it left queued");
  assertEqual(forced.mqtt.client.queuedCount(), 1, "the message is still queued for a later start()");

  const lost = connected("lost");
  lost.mqtt.publish("t", "x", 1);
  lost.mqtt.end();
  lost.socket.options.onError!.call(lost.socket);
  lost.timers.fire();
  assertEqual(lost.errors.join(), String(ClientError.EndedUndelivered), "lost while waiting: EndedUndelivered once");
  lost.timers.fire();
  assertEqual(lost.timers.live.size, 0, "no timer left running");
});

test("a socket that fails before it connects reaches onDisconnected with the reason and the transport's cause", () => {
  const seen: string[] = [];
  const mqtt = connect("mqtt://10.0.0.3", {
    device: fakeDevice({ now: 5000 }),
    clientId: "cause",
    onDisconnected(reason, cause) {
      seen.push(reason.toString(16) + " " + cause.toString(16) + " " + (this === mqtt));
    },
  });
  const socket = FakeSocket.last!;
  assertEqual(socket.options.port, 1883, "mqtt:// default port");
  socket.options.onError!.call(socket);
  assertEqual(seen.join(), [DisconnectReason.ConnectionLost.toString(16), TransportCause.ConnectFailed.toString(16), "true"].join(" "), "refused or unreachable, inferred as a device must");
  mqtt.end();
});

test("publish() returns the client's codes and throws nothing; a bad filter throws a ClientArgumentError", () => {
  const mqtt = new Mqtt({ device: fakeDevice({ now: 0 }), host: "10.0.0.2", clientId: "codes" });
  assertEqual(mqtt.publish("a/#", "x", 0), ClientError.InvalidTopic, "a wildcard in a topic name: InvalidTopic");
  assertEqual(mqtt.publish("a", "x", 3 as 0), ClientError.InvalidQoS, "QoS 3: InvalidQoS");
  assertEqual(mqtt.publish("a", "x", 1), 1, "queued before start(): its packet id");
  let code = 0;
  try {
    mqtt.subscribe("a/#/b");
  } catch (error) {
    code = (error as ClientArgumentError).code;
  }
  assertEqual(code, ClientError.InvalidTopic, "a bad filter throws a ClientArgumentError with its code");
});

test("a bad URL or option is refused with words that name it", () => {
  const device = fakeDevice({ now: 0 });
  assertEqual(JSON.stringify(parseBrokerUrl("mqtts://broker.example")), '{"host":"broker.example","port":8883,"tls":true}', "mqtts default port");
  assertEqual(JSON.stringify(parseBrokerUrl("mqtt://10.1.2.3:1999/")), '{"host":"10.1.2.3","port":1999,"tls":false}', "a port and a slash");
  assertEqual(JSON.stringify(parseBrokerUrl("MQTTS://Broker.example")), '{"host":"Broker.example","port":8883,"tls":true}', "the scheme in capitals, as URLs allow");
  assertEqual(thrown(() => connect("mqtt://h", { device, port: 1884 } as never)), 'TypeError: options.port: the broker comes from the URL "mqtt://h"; give it there, or use new Mqtt({ host, port, tls })', "a port beside the URL");
  assertEqual(thrown(() => parseBrokerUrl("mqtt://[::1]:1883")), `TypeError: broker URL "mqtt://[::1]:1883": an IPv6 address; the device's sockets are IPv4 (give an IPv4 address or a host name)`, "IPv6");
  assertEqual(JSON.stringify(parseBrokerUrl("ws://broker.example/mqtt")), '{"host":"broker.example","port":80,"tls":false,"websocket":"/mqtt"}', "ws: port 80, the path");
  assertEqual(JSON.stringify(parseBrokerUrl("wss://broker.example:8084")), '{"host":"broker.example","port":8084,"tls":true,"websocket":"/"}', "wss: a port, the path /");
  assertEqual(JSON.stringify(parseBrokerUrl("WSS://b")), '{"host":"b","port":443,"tls":true,"websocket":"/"}', "wss: port 443");
  assertTrue(thrown(() => parseBrokerUrl("mqtt://h/mqtt")).indexOf("a path is for ws:// and wss:// only") > 0, "a path after mqtt://");
  assertEqual(thrown(() => parseBrokerUrl("http://h")), 'TypeError: broker URL "http://h": expected mqtt://host[:port], mqtts://host[:port], ws://host[:port]/path or wss://host[:port]/path (no credentials: use username and password)', "another scheme");
  assertTrue(thrown(() => parseBrokerUrl("mqtt://user:pw@h")).startsWith("TypeError: broker URL"), "credentials in the URL");
  assertEqual(thrown(() => parseBrokerUrl("mqtt://h:70000")), 'TypeError: broker URL "mqtt://h:70000": port 70000 is not 1-65535', "a port out of range");
  assertEqual(thrown(() => new Mqtt({ host: "h" } as never)), "TypeError: options.device: the device's modules (NetDevice), e.g. mqtt-xs/sim's hostDevice() on Node", "no device");
  assertEqual(thrown(() => new Mqtt({ device, host: "" })), "TypeError: options.host: the broker's host name or IPv4 address", "no host");
  assertEqual(thrown(() => new Mqtt({ device, host: "h", port: 1.5 })), "TypeError: options.port: an integer 1-65535, not 1.5", "a fractional port");
  assertEqual(thrown(() => new Mqtt({ device, host: "h", keepalive: -1 })), "TypeError: keepalive is a whole number of seconds from 0 to 65535 [§3.1.2.10]", "a client option");
});

test("TLS options reach the TLS socket's secure options in the SDK's names, and a bad one is refused naming it", () => {
  let given: TLSOptions | null = null;
  const TLS = function (this: unknown, options: TLSOptions) {
    given = options;
    return new FakeSocket(options);
  } as unknown as SocketConstructor<TLSOptions>;
  const device = { ...fakeDevice({ now: 0 }), TLS };
  const cert = new Uint8Array([0x30, 0x82, 0x01, 0x0a]);
  const key = new Uint8Array([0x30, 0x82, 0x04, 0xbc, 0x02, 0x01, 0x00, 0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00]);
  const mqtt = connect("mqtts://10.0.0.9", { device, clientId: "mtls", cert: cert.buffer, key, ALPNProtocols: ["mqtt"] });
  const options = given as unknown as TLSOptions;
  assertEqual(options.host, "10.0.0.9", "the server name is the host when serverName is not given");
  const secure = options.secure!;
  assertEqual(secure.serverName, "10.0.0.9", "secure.serverName");
  assertEqual((secure.clientCertificates as unknown[]).length, 1, "clientCertificates: a list of one");
  assertTrue((secure.clientCertificates as unknown[])[0] === cert.buffer, "the certificate as given (an ArrayBuffer)");
  assertTrue(secure.clientKey === key, "clientKey: the key as given");
  assertEqual((secure.applicationLayerProtocolNegotiation as string[]).join(), "mqtt", "applicationLayerProtocolNegotiation");
  mqtt.end();
  assertEqual(thrown(() => new Mqtt({ device, host: "h", tls: true, cert })), "TypeError: options.key: required with cert (the certificate's private key, PKCS#8 DER)", "cert without key");
  assertEqual(thrown(() => new Mqtt({ device, host: "h", cert, key })), "TypeError: options.cert: only over TLS (an mqtts:// URL, or tls: true)", "cert without TLS");
  assertEqual(thrown(() => new Mqtt({ device, host: "h", tls: true, ALPNProtocols: "mqtt" as never })), 'TypeError: options.ALPNProtocols: a non-empty array of protocol names, e.g. ["mqtt"]', "ALPN as a string");
  assertTrue(thrown(() => new Mqtt({ device, host: "h", tls: true, cert, key: cert })).startsWith("TypeError: options.key: not an unencrypted RSA key in PKCS#8 DER"), "a key that is not PKCS#8 RSA");
});

await run();
