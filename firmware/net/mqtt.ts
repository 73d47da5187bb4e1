/**
 * The composed client: one object that owns an MqttClient and the MqttConnection that drives it over the
 * device's sockets, for the common case in a few lines:
 *
 *   const mqtt = connect("mqtt://broker.local", { device, onConnected() { this.publish("hello", "world", 1); } });
 *
 * One convention, the core's: options with callbacks (Moddable's style), MQTT.js's option names, and the
 * callbacks' names of MqttClient (onConnected, onMessage, onDisconnected, onError, ...), here called with
 * `this` bound to the composed client. Every call services the connection, so what it queues goes out at
 * once. Those who drive the client themselves use MqttClient (sans-IO) and MqttConnection directly.
 *
 * Allocation: what MqttClient and MqttConnection allocate, and nothing more per call: publish() passes
 * its arguments through (a TopicHandle from topic() keeps it allocation-free); set-up calls (the
 * constructor, subscribe, unsubscribe) allocate.
 */
import { MqttClient, type ClientOptions, type MessageView, type Properties, type PublishProperties, type QoS, type TopicHandle } from "../mqtt/index.js";
import { ClientError, ClientState, errorMessage } from "../mqtt/index.js";
import { checkBroker, MqttConnection, type BrokerAddress, type ConnectionEvents } from "./connection.js";
import type { NetDevice } from "./device.js";

/** The client's callbacks, with `this` bound to the composed client. */
export interface MqttCallbacks {
  /** The broker accepted the connection (CONNACK 0); sessionPresent says whether it kept our session. */
  onConnected?: (this: Mqtt, sessionPresent: boolean, properties: Properties) => void;
  /** A message that matched no subscription with its own handler. The view is valid during the call only. */
  onMessage?: (this: Mqtt, message: MessageView) => void;
  /** A QoS 1 (PUBACK) or QoS 2 (PUBCOMP) publish completed; `reasonCode` 0 in 3.1.1, the ack's in 5.0 (0x80 and up: refused). */
  onAcked?: (this: Mqtt, packetId: number, reasonCode: number) => void;
  /** A QoS 1/2 publish given up when the broker lost the session (see ClientOptions.onUnconfirmed). */
  onUnconfirmed?: (this: Mqtt, packetId: number) => void;
  /** The broker answered a SUBSCRIBE for `topic`: 0, 1, 2 (granted QoS) or 0x80 (refused). */
  onSubscribed?: (this: Mqtt, topic: string, returnCode: number) => void;
  /**
   * A connection ended or an attempt failed; the client reconnects unless ended. `reason` is the client's
   * DisconnectReason, `cause` the transport's TransportCause (0: none): errorMessage(code) has the words
   * of either, describeCause(cause, this.connection) the words with the address.
   */
  onDisconnected?: (this: Mqtt, reason: number, cause: number) => void;
  /**
   * Something went wrong that the app may want to know: a ClientError code (errorMessage(code) has its
   * words); for HandlerThrew, `thrown` is what the handler threw. Default: a handler that throws is
   * reported on the device's trace (or console) with what it threw, so no mistake goes unseen.
   */
  onError?: (this: Mqtt, code: number, thrown?: unknown) => void;
  /** A connection attempt starts: resolving `host` (address null), or connecting to `address`. */
  onAttempt?: (this: Mqtt, host: string, address: string | null) => void;
}

type CoreCallbacks = "onConnected" | "onMessage" | "onAcked" | "onUnconfirmed" | "onSubscribed" | "onDisconnected" | "onError";

/**
 * The composed client's options: MqttClient's (clientId optional here), the broker (BrokerAddress's
 * names: TLS's ca, serverName, cert, key, ALPNProtocols; websocket), the device, the callbacks.
 */
export interface MqttOptions extends Omit<ClientOptions, CoreCallbacks | "clientId">, MqttCallbacks, Omit<BrokerAddress, "host" | "port" | "tls"> {
  /** The device's modules (firmware/net/device.ts): on a board, its sockets, resolver and timer; on Node, mqtt-xs/sim's. */
  device: NetDevice;
  /** [MQTT-3.1.3-3] Default: "mqttxs" and 8 random hex digits (clean sessions only make sense with it). */
  clientId?: string;
  /** The broker, when no URL is given: a host name or IPv4 address. */
  host?: string;
  /** Default 1883, or 8883 with tls (80 and 443 over WebSockets). */
  port?: number;
  /** mqtts: TLS with the certificate checked against `ca` (DER) and `serverName` (default host). */
  tls?: boolean;
}

/** How often end() looks whether everything was delivered, ms. */
const ENDING_CHECK = 20;

/**
 * The broker of an `mqtt://host[:port]`, `mqtts://host[:port]`, `ws://host[:port][/path]` or
 * `wss://host[:port][/path]` URL (default ports 1883, 8883, 80 and 443; a WebSocket path defaults to
 * "/", as MQTT.js's; most brokers serve "/mqtt").
 * @param url - the broker's URL; credentials go in the options (username, password), not in the URL
 * @returns the host, port, whether TLS is used, and over WebSockets the path
 * @throws TypeError naming what is wrong: another scheme, a path after mqtt://, credentials in the URL, a port out of range
 */
export function parseBrokerUrl(url: string): BrokerAddress {
  if (typeof url !== "string") throw new TypeError("broker URL: a string such as mqtt://host:1883");
  // A literal here, not a module-level const: Moddable SDK 8.2.3 mishandles a RegExp made when its module is
  // preloaded (see net/connection.ts's open()); test/manifests.test.ts keeps module-level RegExps out of firmware/.
  const match = /^(mqtts?|wss?):\/\/([^\s:/@[\]]+)(?::(\d{1,5}))?(\/[^\s?#]*)?$/i.exec(url);
  if (match === null && url.indexOf("[") >= 0) throw new TypeError(`broker URL ${JSON.stringify(url)}: an IPv6 address; the device's sockets are IPv4 (give an IPv4 address or a host name)`);
  const expected = "expected mqtt://host[:port], mqtts://host[:port], ws://host[:port]/path or wss://host[:port]/path (no credentials: use username and password)";
  if (match === null) throw new TypeError(`broker URL ${JSON.stringify(url)}: ${expected}`);
  const scheme = match[1].toLowerCase();
  const ws = scheme === "ws" || scheme === "wss";
  const tls = scheme === "mqtts" || scheme === "wss";
  const path = match[4];
  if (!ws && path !== undefined && path !== "/") throw new TypeError(`broker URL ${JSON.stringify(url)}: a path is for ws:// and wss:// only; ${expected}`);
  const port = match[3] !== undefined ? Number(match[3]) : ws ? (tls ? 443 : 80) : tls ? 8883 : 1883;
  if (port < 1 || port > 65535) throw new TypeError(`broker URL ${JSON.stringify(url)}: port ${port} is not 1-65535`);
  const broker: BrokerAddress = { host: match[2], port, tls };
  if (ws) broker.websocket = path ?? "/";
  return broker;
}

/** What an unhandled onError says: the code's words, and what a handler threw. */
export function describeError(code: number, thrown?: unknown): string {
  let text = `mqtt-xs: ${errorMessage(code)} (${code})`;
  if (thrown !== undefined) text += ": " + (thrown instanceof Error ? (thrown.stack ?? String(thrown)) : String(thrown));
  return text;
}

/** The default onError on a device: the words on its trace (xsbug or the serial output), if it has one. */
function report(code: number, thrown?: unknown): void {
  const trace = (globalThis as { trace?: unknown }).trace;
  if (typeof trace === "function") trace(describeError(code, thrown) + "\n");
}

function randomClientId(random: () => number): string {
  let id = "mqttxs";
  for (let i = 0; i < 8; i++) id += ((random() * 16) | 0).toString(16);
  return id;
}

export class Mqtt {
  /** The sans-IO client this drives (its stats, options and queue). */
  readonly client: MqttClient;
  /** The adapter between the client and the device's sockets. */
  readonly connection: MqttConnection;
  private readonly device: NetDevice;
  private readonly onError: (code: number, thrown?: unknown) => void;
  /** While end() waits for acknowledgements: its check's timer. */
  private ending: unknown = null;

  /**
   * Makes the client and its connection; start() connects. connect() does both.
   * @param options - the broker (host/port/tls), the device, the client's options and callbacks
   * @throws TypeError for a bad option (ClientArgumentError with a ClientError code for the client's own)
   */
  constructor(options: MqttOptions) {
    if (options === null || typeof options !== "object") throw new TypeError("options: an object with at least device and host (or use connect(url, options))");
    const device = options.device;
    if (device === null || typeof device !== "object" || typeof device.TCP !== "function") throw new TypeError("options.device: the device's modules (NetDevice), e.g. mqtt-xs/sim's hostDevice() on Node");
    const host = options.host;
    if (typeof host !== "string" || host.length === 0) throw new TypeError("options.host: the broker's host name or IPv4 address");
    const tls = options.tls === true;
    const websocket = options.websocket;
    const port = options.port ?? (websocket !== undefined ? (tls ? 443 : 80) : tls ? 8883 : 1883);
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new TypeError(`options.port: an integer 1-65535, not ${String(port)}`);
    const broker: BrokerAddress = { host, port, tls, ca: options.ca, serverName: options.serverName, cert: options.cert, key: options.key, ALPNProtocols: options.ALPNProtocols };
    if (websocket !== undefined) broker.websocket = websocket;
    checkBroker(broker, "options");
    const self = this;
    const o = options;
    const onError = (code: number, thrown?: unknown): void => (o.onError ? o.onError.call(self, code, thrown) : report(code, thrown));
    this.onError = onError;
    this.client = new MqttClient({
      ...options,
      clientId: options.clientId ?? randomClientId(options.random ?? Math.random),
      onConnected: o.onConnected && ((present, properties) => o.onConnected!.call(self, present, properties)),
      onMessage: o.onMessage && ((message) => o.onMessage!.call(self, message)),
      onAcked: o.onAcked && ((id, reason) => o.onAcked!.call(self, id, reason)),
      onUnconfirmed: o.onUnconfirmed && ((id) => o.onUnconfirmed!.call(self, id)),
      onSubscribed: o.onSubscribed && ((topic, code) => o.onSubscribed!.call(self, topic, code)),
      onDisconnected: o.onDisconnected && ((reason) => o.onDisconnected!.call(self, reason, self.connection.cause)),
      onError,
    });
    const events: ConnectionEvents = {};
    if (o.onAttempt) events.onAttempt = (h, address) => o.onAttempt!.call(self, h, address);
    this.device = device;
    this.connection = new MqttConnection(this.client, broker, device, events);
  }

  /** The connection's state (a ClientState). */
  get state(): ClientState {
    return this.client.state;
  }

  /** True while connected (CONNACK accepted, not yet lost). */
  get connected(): boolean {
    return this.client.state === ClientState.Connected;
  }

  /** Starts connecting (and reconnecting, with backoff, until end()). */
  start(): this {
    this.connection.start();
    return this;
  }

  /**
   * Encodes a topic name once, for an allocation-free publish() on a hot path.
   * @param name - a topic name (no wildcards)
   * @returns a handle to pass to publish()
   * @throws ClientArgumentError (InvalidTopic) for an invalid name
   */
  topic(name: string): TopicHandle {
    return this.client.topic(name);
  }

  /**
   * Publishes a message: queued, and sent at once when connected (else on connect, by the queue policy).
   * @param topic - a topic name, or a handle from topic()
   * @param payload - bytes, or a string sent as UTF-8
   * @param qos - 0, 1 or 2 (default 0)
   * @param retain - the broker keeps it for later subscribers (default false)
   * @param properties - 5.0 only: the PUBLISH properties (MQTT.js's names), see MqttClient.publish
   * @returns the packet id (QoS 1/2; onAcked reports it), 0 (QoS 0), or a negative ClientError code (errorMessage has its words): nothing is thrown
   */
  publish(topic: TopicHandle | string, payload: Uint8Array | string, qos: QoS = 0, retain = false, properties?: PublishProperties): number {
    const result = this.client.publish(topic, payload, qos, retain, 0, -1, properties);
    this.connection.service();
    return result;
  }

  /**
   * Subscribes to a topic filter, now if connected, else on connect (and again after a connect that lost the session).
   * @param filter - a topic filter (`+` and `#` allowed)
   * @param qos - the maximum QoS to receive (default 0)
   * @param onMessage - called for messages matching this filter (`this` is the composed client); default: options.onMessage
   * @throws ClientArgumentError with a ClientError code for a bad filter or QoS, or when the subscription table is full
   */
  subscribe(filter: string, qos: QoS = 0, onMessage?: (this: Mqtt, message: MessageView) => void): this {
    const self = this;
    this.client.subscribe([{ topic: filter, qos, onMessage: onMessage && ((message) => onMessage.call(self, message)) }]);
    this.connection.service();
    return this;
  }

  /**
   * 5.0 request/response: answers a request on its Response Topic with its Correlation Data (see
   * MqttClient.respond); call it from the request's handler.
   * @returns what publish() returns, or ClientError.InvalidArgument when the request has no Response Topic
   */
  respond(request: MessageView, payload: Uint8Array | string, qos: QoS = 0): number {
    const result = this.client.respond(request, payload, qos);
    this.connection.service();
    return result;
  }

  /**
   * 5.0 enhanced authentication: re-authenticates on the live connection (see MqttClient.reauthenticate).
   * @param data - the Authentication Data to send, e.g. a fresh token
   * @returns 0, or ClientError.InvalidArgument
   */
  reauthenticate(data?: Uint8Array): number {
    const result = this.client.reauthenticate(data);
    this.connection.service();
    return result;
  }

  /**
   * Unsubscribes from a filter given exactly as it was subscribed.
   * @param filter - the filter
   */
  unsubscribe(filter: string): this {
    this.client.unsubscribe([filter]);
    this.connection.service();
    return this;
  }

  /**
   * Ends the session, as MQTT.js's end(): while connected, first waits until every message published so
   * far has gone and, at QoS 1/2, been acknowledged (onAcked); then DISCONNECT (the will is not sent) and
   * the socket closes; no reconnect. With `force`, or while not connected, or if the connection is lost
   * while it waits, it closes at once: messages not yet delivered stay queued in the client (a later
   * start() sends them) and onError reports EndedUndelivered once. start() connects again.
   * @param force - close now, without waiting for acknowledgements (default false)
   */
  end(force = false): void {
    if (force || !this.connected || this.client.queuedCount() === 0) {
      this.close();
      return;
    }
    if (this.ending !== null) return;
    // Checked on a timer (a QoS 0 message leaves the outbox when written, which no callback reports).
    const Timer = this.device.Timer;
    this.ending = Timer.set(() => {
      if (this.connected && this.client.queuedCount() > 0) return;
      this.close();
    }, ENDING_CHECK, ENDING_CHECK);
  }

  private close(): void {
    if (this.ending !== null) this.device.Timer.clear(this.ending);
    this.ending = null;
    this.connection.stop();
    if (this.client.queuedCount() === 0) return;
    try {
      this.onError(ClientError.EndedUndelivered);
    } catch {
      // an app's error handler that throws has nothing left to tell
    }
  }
}

/**
 * Connects to a broker: makes the composed client and starts it.
 * @param url - `mqtt://host[:port]` or `mqtts://host[:port]`
 * @param options - the device and the client's options and callbacks (host, port and tls come from the URL)
 * @returns the client, already connecting
 * @throws TypeError for a bad URL or option
 */
export function connect(url: string, options: Omit<MqttOptions, "host" | "port" | "tls" | "websocket">): Mqtt {
  const broker = parseBrokerUrl(url);
  // A JavaScript caller can pass what the types leave out: the URL would win in silence.
  for (const name of ["host", "port", "tls", "websocket"]) {
    if ((options as Record<string, unknown>)[name] !== undefined) throw new TypeError(`options.${name}: the broker comes from the URL ${JSON.stringify(url)}; give it there, or use new Mqtt({ host, port, tls })`);
  }
  return new Mqtt({ ...options, host: broker.host, port: broker.port, tls: broker.tls, websocket: broker.websocket }).start();
}
