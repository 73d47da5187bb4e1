// The network adapter against a scripted fake of the device modules (FakeSocket: test/xs/suites/fake-device.ts, shared with the XS suite): what it writes, reads and schedules.
import { describe, expect, it } from "vitest";
import { ClientState, DisconnectReason, MqttClient } from "../../firmware/mqtt/index.js";
import { TransportCause } from "../../firmware/mqtt/client/errors.js";
import { MqttConnection, type BrokerAddress } from "../../firmware/net/connection.js";
import type { NetDevice, Socket, SocketConstructor, TLSOptions, TimerModule } from "../../firmware/net/device.js";
import { FakeSocket } from "../xs/suites/fake-device.js";

function fakeDevice() {
  let ticks = 0;
  const timers: { callback: () => void; due: number; repeat: number }[] = [];
  let sets = 0;
  const Timer: TimerModule = {
    set(callback, interval = 0, repeat = 0) {
      sets++;
      const timer = { callback: callback as () => void, due: ticks + interval, repeat };
      timers.push(timer);
      return timer;
    },
    schedule(timer, interval, repeat = 0) {
      const t = timer as (typeof timers)[number];
      t.due = ticks + interval;
      t.repeat = repeat;
    },
    clear(timer) {
      timers.splice(timers.indexOf(timer as (typeof timers)[number]), 1);
    },
  };
  const device: NetDevice = {
    TCP: FakeSocket,
    Resolver: class {
      resolve() {}
    },
    UDP: null,
    dnsServers: [],
    Timer,
    ticks: () => ticks | 0,
  };
  return {
    device,
    timerSets: () => sets,
    /** Moves the clock (as Time.ticks: 32-bit, wrapping) and fires due timers. */
    advance(ms: number) {
      ticks = (ticks + ms) | 0;
      for (const t of timers) {
        if (((ticks - t.due) | 0) >= 0) {
          t.due = ticks + (t.repeat || 1e9);
          t.callback();
        }
      }
    },
    setTicks(value: number) {
      ticks = value | 0;
    },
  };
}

const CONNACK = [0x20, 2, 0, 0];

describe("MqttConnection over the device modules", () => {
  it("opens on the first onWritable, writes no more than the writable count, and goes on when it grows", () => {
    const fake = fakeDevice();
    const client = new MqttClient({ clientId: "c1" });
    const connection = new MqttConnection(client, { host: "127.0.0.1", port: 1883 }, fake.device);
    connection.start();
    const socket = FakeSocket.last!;
    expect(socket.options.address).toBe("127.0.0.1");
    socket.drain(10); // connected, but only 10 bytes fit
    expect(socket.written).toEqual([0x10, 14, 0, 4, 0x4d, 0x51, 0x54, 0x54, 4, 2]);
    socket.drain(100);
    expect(socket.written.length).toBe(16);
    socket.deliver(CONNACK);
    expect(client.stats.connects).toBe(1);
  });

  it("reads exactly what onReadable reports, packets split anywhere", () => {
    const fake = fakeDevice();
    const got: string[] = [];
    const client = new MqttClient({ clientId: "c1", onMessage: (m) => got.push(m.payloadString()) });
    const connection = new MqttConnection(client, { host: "127.0.0.1", port: 1883 }, fake.device);
    connection.start();
    const socket = FakeSocket.last!;
    socket.drain(1000);
    socket.deliver([...CONNACK, 0x30, 5, 0, 1, 0x74]);
    socket.deliver([0x68]);
    socket.deliver([0x69, 0x30, 4, 0, 1, 0x74, 0x21]);
    expect(got).toEqual(["hi", "!"]);
    expect(socket.incoming).toEqual([]);
  });

  it("a burst larger than the receive buffer whose acks fill the ack queue is read to the end, with no new socket event", () => {
    // 200 QoS 1 PUBLISH in one onReadable (1,800 bytes, 1,024 B receive buffer): processing waits for the
    // 64 PUBACKs to go, the flush frees the buffer, and what the socket still holds must be read then.
    const fake = fakeDevice();
    let got = 0;
    const client = new MqttClient({ clientId: "c1", onMessage: () => got++ });
    const connection = new MqttConnection(client, { host: "127.0.0.1", port: 1883 }, fake.device);
    connection.start();
    const socket = FakeSocket.last!;
    socket.drain(100_000);
    const burst: number[] = [...CONNACK];
    for (let id = 1; id <= 200; id++) burst.push(0x32, 7, 0, 1, 0x74, id >> 8, id & 0xff, 0x78, 0x79);
    socket.deliver(burst);
    expect(got).toBe(200);
    expect(socket.incoming).toEqual([]);
    expect(socket.written.length).toBe(16 + 200 * 4); // CONNECT, then a PUBACK each
  });

  it("keeps one timer, rescheduled, and keeps time across the 32-bit tick wrap", () => {
    const fake = fakeDevice();
    fake.setTicks(2 ** 31 - 30_000); // 30 s before Time.ticks wraps negative
    const client = new MqttClient({ clientId: "c1", keepalive: 60 });
    const connection = new MqttConnection(client, { host: "127.0.0.1", port: 1883 }, fake.device);
    connection.start();
    const socket = FakeSocket.last!;
    socket.drain(1000);
    socket.deliver(CONNACK);
    const sent = socket.written.length;
    for (let s = 0; s < 59; s++) fake.advance(1000); // through the wrap
    expect(socket.written.length).toBe(sent); // no PINGREQ yet: 59 s
    fake.advance(1000);
    expect(socket.written.slice(sent)).toEqual([0xc0, 0]); // PINGREQ at 60 s, after the wrap
    expect(fake.timerSets()).toBe(1);
  });

  it("closes the socket when the client gives up, and reconnects with a new one", () => {
    const fake = fakeDevice();
    const client = new MqttClient({ clientId: "c1", reconnectPeriod: 1000, random: () => 0.5 });
    const connection = new MqttConnection(client, { host: "127.0.0.1", port: 1883 }, fake.device);
    connection.start();
    const first = FakeSocket.last!;
    first.drain(1000);
    first.deliver([0x20, 2, 0, 0, 0x20, 2, 0, 0]); // a second CONNACK: protocol error
    expect(first.closed).toBe(true);
    fake.advance(749);
    expect(FakeSocket.last).toBe(first);
    fake.advance(1);
    expect(FakeSocket.last).not.toBe(first);
  });

  it("stop() under backpressure still stops the client (DISCONNECT could not go), and start() connects again", () => {
    const fake = fakeDevice();
    const events: string[] = [];
    const client = new MqttClient({ clientId: "c1", onDisconnected: (r) => events.push("disconnected 0x" + r.toString(16)) });
    const connection = new MqttConnection(client, { host: "127.0.0.1", port: 1883 }, fake.device);
    connection.start();
    const first = FakeSocket.last!;
    first.drain(16); // CONNECT only: the socket takes nothing more
    first.deliver(CONNACK);
    expect(client.state).toBe(ClientState.Connected);
    connection.stop();
    expect(first.closed).toBe(true);
    expect(first.written.slice(16)).toEqual([]); // no room for DISCONNECT
    expect(client.state).toBe(ClientState.Stopped);
    expect(events).toEqual(["disconnected 0x0"]);
    connection.start();
    expect(FakeSocket.last).not.toBe(first);
  });
});

/**
 * The SDK's TLS socket as examples/io/tcp/tlssocket/tlssocket.js behaves: it makes its TCP socket from
 * options.TCP.io with its own callbacks, reports nothing to the app until the handshake is done, and a
 * failed certificate check throws TLSError out of the TCP socket's onReadable.
 */
class SdkLikeTLS implements Socket {
  static last: SdkLikeTLS | null = null;
  tcp: FakeSocket;
  constructor(readonly options: TLSOptions) {
    SdkLikeTLS.last = this;
    const TCP = options.TCP!.io as SocketConstructor;
    this.tcp = new TCP({
      ...options,
      onReadable: () => {
        const error = new Error("certificate: auth err");
        error.name = "TLS";
        throw error; // ssl_handshake.js: certificateManager.verify() returned false
      },
      onWritable: () => {}, // sends the ClientHello; the app hears nothing yet
      onError: () => options.onError?.call(this),
    }) as FakeSocket;
  }
  read(): undefined {
    return undefined;
  }
  write(): number {
    return 0;
  }
  close(): void {
    this.tcp.close();
  }
}

describe("the cause of a failure, as a Moddable device can tell it", () => {
  function rig(tls = false) {
    const fake = fakeDevice();
    const got: { reason: number; cause: number }[] = [];
    const client = new MqttClient({ clientId: "c1", connectTimeout: 5000, onDisconnected: (reason) => got.push({ reason, cause: connection.cause }) });
    const device = tls ? { ...fake.device, TLS: SdkLikeTLS as unknown as SocketConstructor<TLSOptions> } : fake.device;
    const connection: MqttConnection = new MqttConnection(client, { host: "127.0.0.1", port: 8883, tls }, device);
    connection.start();
    return { fake, got, client, connection };
  }

  it("onError() before the first onWritable: could not connect; after it: connection closed", () => {
    const { got, fake } = rig();
    FakeSocket.last!.options.onError!.call(FakeSocket.last!);
    expect(got).toEqual([{ reason: DisconnectReason.ConnectionLost, cause: TransportCause.ConnectFailed }]);
    fake.advance(60_000); // the next attempt
    const second = FakeSocket.last!;
    second.drain(1000);
    second.deliver(CONNACK);
    second.options.onError!.call(second);
    expect(got[1]).toEqual({ reason: DisconnectReason.ConnectionLost, cause: TransportCause.ConnectionClosed });
  });

  it("a cause the socket passes to onError is taken as it is", () => {
    const { got } = rig();
    FakeSocket.last!.options.onError!.call(FakeSocket.last!, TransportCause.ConnectionRefused);
    expect(got[0]!.cause).toBe(TransportCause.ConnectionRefused);
  });

  it("no onWritable within connectTimeout: the adapter's own deadline, on its one timer, closes the socket", () => {
    const { got, fake } = rig();
    const socket = FakeSocket.last!;
    fake.advance(4999);
    expect(got).toEqual([]);
    fake.advance(1);
    expect(got).toEqual([{ reason: DisconnectReason.ConnectTimeout, cause: TransportCause.ConnectTimeout }]);
    expect(socket.closed).toBe(true);
    expect(fake.timerSets()).toBe(1);
  });

  it("TLS: the TLSError the SDK's socket throws from its TCP callback is caught (a device would abort) and is a TLS failure", () => {
    const { got } = rig(true);
    const tls = SdkLikeTLS.last!;
    tls.tcp.drain(1000); // TCP up: the handshake starts
    expect(() => tls.tcp.deliver([0x16, 3, 3])).not.toThrow();
    expect(got).toEqual([{ reason: DisconnectReason.ConnectionLost, cause: TransportCause.TLSFailed }]);
    expect(tls.tcp.closed).toBe(true);
  });

  it("TLS: onError() after TCP connected but before the handshake finished is a TLS failure; before TCP connected, could not connect", () => {
    const first = rig(true);
    SdkLikeTLS.last!.tcp.options.onError!.call(SdkLikeTLS.last!.tcp);
    expect(first.got[0]!.cause).toBe(TransportCause.ConnectFailed);
    const second = rig(true);
    const tls = SdkLikeTLS.last!;
    tls.tcp.drain(1000);
    tls.tcp.options.onError!.call(tls.tcp);
    expect(second.got[0]!.cause).toBe(TransportCause.TLSFailed);
  });

  it("the constructor's 'connect error' (lwIP: no route, Wi-Fi down) is Wi-Fi down", () => {
    const fake = fakeDevice();
    const got: number[] = [];
    const Throwing = function () {
      throw new Error("connect error");
    } as unknown as SocketConstructor;
    const client = new MqttClient({ clientId: "c1", onDisconnected: () => got.push(connection.cause) });
    const connection: MqttConnection = new MqttConnection(client, { host: "127.0.0.1", port: 1883 }, { ...fake.device, TCP: Throwing });
    connection.start();
    expect(got).toEqual([TransportCause.NetworkDown]);
  });
});

/** The TLS socket's options as the adapter gives them (a TLS module that only records them). */
class RecordingTLS extends FakeSocket {
  static options: TLSOptions | null = null;
  constructor(options: TLSOptions) {
    super(options);
    RecordingTLS.options = options;
  }
}

describe("TLS options: what the SDK's TLS socket gets in `secure`, and the options refused", () => {
  /** DER-looking bytes: a certificate (a SEQUENCE), and an RSA key in PKCS#8 (rsaEncryption in its AlgorithmIdentifier). */
  const cert = new Uint8Array([0x30, 0x82, 0x01, 0x0a, 0x30, 0x82]);
  const chain = new Uint8Array([0x30, 0x82, 0x02, 0x00, 0x30, 0x82]);
  const key = new Uint8Array([0x30, 0x82, 0x04, 0xbc, 0x02, 0x01, 0x00, 0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00, 0x04, 0x82]);
  const ca = new Uint8Array([0x30, 0x82, 0x03, 0x00]);

  function open(broker: Partial<BrokerAddress>): TLSOptions {
    const fake = fakeDevice();
    RecordingTLS.options = null;
    const client = new MqttClient({ clientId: "tls" });
    const device = { ...fake.device, TLS: RecordingTLS as unknown as SocketConstructor<TLSOptions> };
    new MqttConnection(client, { host: "127.0.0.1", port: 8883, tls: true, ...broker }, device).start();
    return RecordingTLS.options!;
  }

  it("ca, serverName, cert, key and ALPNProtocols become certificate, serverName (and host), clientCertificates, clientKey and applicationLayerProtocolNegotiation", () => {
    const options = open({ ca, serverName: "broker.example", cert, key, ALPNProtocols: ["mqtt", "x-amzn-mqtt-ca"] });
    expect(options.host).toBe("broker.example");
    expect(options.secure).toEqual({
      serverName: "broker.example",
      certificate: ca,
      clientCertificates: [cert],
      clientKey: key,
      applicationLayerProtocolNegotiation: ["mqtt", "x-amzn-mqtt-ca"],
    });
  });

  it("the server name is always sent: the host when serverName is not given; a chain of certificates stays in order", () => {
    const options = open({ host: "10.0.0.7", cert: [cert, chain], key });
    expect(options.host).toBe("10.0.0.7");
    expect(options.secure!.serverName).toBe("10.0.0.7");
    expect(options.secure!.clientCertificates).toEqual([cert, chain]);
    expect("clientKey" in open({}).secure!).toBe(false); // nothing of mutual TLS or ALPN unless given
    expect("applicationLayerProtocolNegotiation" in open({}).secure!).toBe(false);
  });

  it("a bad option is refused at construction with a TypeError that names it", () => {
    const refused = (broker: Partial<BrokerAddress>) => {
      try {
        open(broker);
      } catch (error) {
        expect(error).toBeInstanceOf(TypeError);
        return (error as Error).message;
      }
      return "";
    };
    expect(refused({ tls: false, cert, key })).toBe("broker.cert: only over TLS (an mqtts:// URL, or tls: true)");
    expect(refused({ tls: false, ALPNProtocols: ["mqtt"] })).toBe("broker.ALPNProtocols: only over TLS (an mqtts:// URL, or tls: true)");
    expect(refused({ cert })).toBe("broker.key: required with cert (the certificate's private key, PKCS#8 DER)");
    expect(refused({ key })).toBe("broker.cert: required with key (the certificate the key belongs to, DER)");
    expect(refused({ cert: "-----BEGIN CERTIFICATE-----" as never, key })).toBe("broker.cert: our certificate in DER, as an ArrayBuffer, a Uint8Array or a Resource");
    expect(refused({ cert: new TextEncoder().encode("-----BEGIN CERTIFICATE-----\n"), key })).toBe(
      "broker.cert: not DER (PEM text: the device's TLS takes DER; convert with openssl ... -outform DER): our certificate expected",
    );
    expect(refused({ cert: [], key })).toBe("broker.cert: an empty list (our certificate, then its intermediates)");
    expect(refused({ cert: [cert, new Uint8Array(0)], key })).toBe("broker.cert[1]: empty (a certificate in DER expected)");
    // PKCS#1 ("BEGIN RSA PRIVATE KEY" as DER): no rsaEncryption identifier, the SDK's pkcs8.js cannot read it.
    expect(refused({ cert, key: new Uint8Array([0x30, 0x82, 0x04, 0xa4, 0x02, 0x01, 0x00, 0x02, 0x82, 0x01, 0x01, 0x00]) })).toMatch(/^broker\.key: not an unencrypted RSA key in PKCS#8 DER/);
    expect(refused({ ca: new ArrayBuffer(0) })).toBe("broker.ca: empty (the CA certificate in DER expected)");
    expect(refused({ serverName: "" })).toBe("broker.serverName: a non-empty string (the broker's name, for SNI and its certificate)");
    expect(refused({ ALPNProtocols: "mqtt" as never })).toBe('broker.ALPNProtocols: a non-empty array of protocol names, e.g. ["mqtt"]');
    expect(refused({ ALPNProtocols: [] })).toBe('broker.ALPNProtocols: a non-empty array of protocol names, e.g. ["mqtt"]');
    expect(refused({ ALPNProtocols: ["mqtt", ""] })).toBe('broker.ALPNProtocols[1]: a protocol name of 1 to 255 characters, e.g. "mqtt"');
    expect(refused({ ca, serverName: "b", cert: cert.buffer, key: key.buffer, ALPNProtocols: ["mqtt"] })).toBe(""); // ArrayBuffers too
  });
});
