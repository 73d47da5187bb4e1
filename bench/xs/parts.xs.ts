// Runs on XS: the slots and chunk bytes each part of a client holds, each constructed alone with the
// library defaults' sizes and counted as client.xs.ts counts the whole client (the harness's held()).
// What "client RAM beyond the buffers" is made of, part by part; the last rows are the units the parts are made of (a typed array with its own ArrayBuffer, a view, a
// closure, a bound method).
import { MqttClient } from "../../firmware/mqtt/index.js";
import { AckQueue } from "../../firmware/mqtt/client/acks.js";
import { Authentication } from "../../firmware/mqtt/client/auth.js";
import { Backoff } from "../../firmware/mqtt/client/backoff.js";
import { DirectPublish } from "../../firmware/mqtt/client/direct-publish.js";
import { AppEvents } from "../../firmware/mqtt/client/events.js";
import { Expiry } from "../../firmware/mqtt/client/expiry.js";
import { connectFields } from "../../firmware/mqtt/client/handshake.js";
import { Inbound } from "../../firmware/mqtt/client/inbound.js";
import { Input } from "../../firmware/mqtt/client/input.js";
import { Keepalive } from "../../firmware/mqtt/client/keepalive.js";
import { Lifecycle } from "../../firmware/mqtt/client/lifecycle.js";
import { MessageView } from "../../firmware/mqtt/client/message.js";
import { resolveOptions } from "../../firmware/mqtt/client/options.js";
import { Outbound } from "../../firmware/mqtt/client/outbound.js";
import { Outbox } from "../../firmware/mqtt/client/outbox.js";
import { OutgoingAliases } from "../../firmware/mqtt/client/outgoing-aliases.js";
import { Output } from "../../firmware/mqtt/client/output.js";
import { Router } from "../../firmware/mqtt/client/router.js";
import { ServerLimits } from "../../firmware/mqtt/client/server-limits.js";
import { PacketIds } from "../../firmware/mqtt/client/session.js";
import { ClientStats } from "../../firmware/mqtt/client/stats.js";
import { Subscriptions } from "../../firmware/mqtt/client/subscriptions.js";
import { TopicAliases } from "../../firmware/mqtt/client/topic-aliases.js";
import { ProtocolVersion } from "../../firmware/mqtt/codec/packet.js";
import { SocketMemory } from "../../firmware/mqtt/codec/socket-memory.js";
import { held, report, run, test } from "../../test/xs/suites/harness.js";

const V311 = ProtocolVersion.V311;
const options = Object.freeze(resolveOptions({ clientId: "esp32-a1b2c3" }, 30));
const memory = new SocketMemory(1 << 16, 0);
const stats = new ClientStats();
const events = new AppEvents({ clientId: "esp32-a1b2c3" });
const outbox = new Outbox(options.transmitBufferSize, options.queueSlots, memory.region(options.transmitBufferSize));
const subscriptions = new Subscriptions(options.subscriptions, options.controlBufferSize, events, V311);
const acks = new AckQueue();
const keepalive = new Keepalive(60_000, 30_000);
const life = new Lifecycle();
const limits = new ServerLimits();
const ids = new PacketIds(outbox, subscriptions);
const expiry = new Expiry(outbox, events, stats);
const outgoing = new OutgoingAliases(0, options.queueSlots);
const auth = new Authentication(null, events);
const input = new Input(options.receiveBufferSize, options.maxPacketSize, V311, memory.region(options.receiveBufferSize));
const outbound = new Outbound(outbox, ids, acks, events, stats, options, limits, expiry, outgoing);
const inbound = new Inbound(acks, subscriptions, events, stats, new MessageView(input.packet.properties), 65_535);
const output = new Output(options.controlBufferSize, acks, keepalive, subscriptions, outbound, outbox, ids.next.bind(ids), inbound.released.bind(inbound), V311, auth, memory.region(options.controlBufferSize), memory.region(4));
const aliases = new TopicAliases(0, options.maxPacketSize);

test("client RAM by part", () => {
  report("the whole client, 3.1.1", held(() => new MqttClient({ clientId: "esp32-a1b2c3" })));
  report("the whole client, 5.0", held(() => new MqttClient({ clientId: "esp32-a1b2c3", protocolVersion: 5 })));
  report("subscriptions", held(() => new Subscriptions(options.subscriptions, options.controlBufferSize, events, V311)));
  report("outbox", held(() => new Outbox(options.transmitBufferSize, options.queueSlots, memory.region(options.transmitBufferSize))));
  report("input (with the received packet and its Properties)", held(() => new Input(options.receiveBufferSize, options.maxPacketSize, V311, memory.region(options.receiveBufferSize))));
  report("router", held(() => new Router(life, input, output, keepalive, inbound, outbound, subscriptions, events, stats, options, limits, auth, aliases, () => {})));
  report("the options, frozen", held(() => Object.freeze(resolveOptions({ clientId: "esp32-a1b2c3" }, 30))));
  report("socket memory", held(() => new SocketMemory(options.receiveBufferSize + options.transmitBufferSize + options.controlBufferSize + 4, 1536)));
  report("inbound (its MessageView apart)", held(() => new Inbound(acks, subscriptions, events, stats, null as unknown as MessageView, 65_535)));
  report("outbound", held(() => new Outbound(outbox, ids, acks, events, stats, options, limits, expiry, outgoing)));
  report("outgoing aliases (none)", held(() => new OutgoingAliases(0, options.queueSlots)));
  report("ack queue", held(() => new AckQueue()));
  report("stats", held(() => new ClientStats()));
  report("CONNECT's fields", held(() => connectFields({ clientId: "esp32-a1b2c3" })));
  report("authentication", held(() => new Authentication(null, events)));
  report("the MessageView, as the client makes it", held(() => new MessageView(input.packet.properties)));
  report("server limits", held(() => new ServerLimits()));
  report("events", held(() => new AppEvents({ clientId: "esp32-a1b2c3" })));
  report("lifecycle", held(() => new Lifecycle()));
  report("direct publish", held(() => new DirectPublish(outbox, output, limits, stats, false, true)));
  report("keepalive", held(() => new Keepalive(60_000, 30_000)));
  report("topic aliases (none)", held(() => new TopicAliases(0, options.maxPacketSize)));
  report("backoff", held(() => new Backoff(1000, 30_000, Math.random)));
  report("expiry", held(() => new Expiry(outbox, events, stats)));
  report("packet ids", held(() => new PacketIds(outbox, subscriptions)));
  report("unit: a Uint8Array with its own ArrayBuffer", held(() => new Uint8Array(4)));
  report("unit: a view of an ArrayBuffer", held(() => memory.region(16)));
  report("unit: a closure", held(() => () => 1));
  report("unit: a bound method", held(() => ids.next.bind(ids)));
});

await run();
