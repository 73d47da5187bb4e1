/**
 * A recording proxy: a TCP relay on a free loopback port between a client and a broker, which decodes
 * every packet both ways with mqtt-packet (an implementation that is not ours) and keeps them in order.
 * It shows what one leg of a conversation carried, so a test can check a client's promise on its own
 * leg (each message sent as new once; a resend only with DUP and the same id, into a kept session)
 * whatever the broker and the other peers do on theirs.
 */
import { createServer, connect, type Server, type Socket } from "node:net";
import { once } from "node:events";
import mqttPacket from "mqtt-packet";

export interface RecordedPacket {
  /** The TCP connection's number, from 1, in the order the client opened them. */
  connection: number;
  /** "out": client to broker; "in": broker to client. */
  direction: "out" | "in";
  cmd: string;
  messageId?: number;
  qos?: number;
  dup?: boolean;
  retain?: boolean;
  topic?: string;
  payload?: string;
  sessionPresent?: boolean;
  returnCode?: number;
  clientId?: string;
  clean?: boolean;
}

export class RecordingProxy {
  readonly packets: RecordedPacket[] = [];
  /** Decode errors, per leg: a proxy that cannot read a leg says so rather than recording less. */
  readonly errors: string[] = [];
  port = 0;
  private connections = 0;
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    private readonly upstreamPort: number,
  ) {}

  /** Listens on a free loopback port and relays each connection to 127.0.0.1:upstreamPort. */
  static async start(upstreamPort: number): Promise<RecordingProxy> {
    const server = createServer();
    const proxy = new RecordingProxy(server, upstreamPort);
    server.on("connection", (socket) => proxy.relay(socket));
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    proxy.port = (server.address() as { port: number }).port;
    return proxy;
  }

  private relay(client: Socket): void {
    const connection = ++this.connections;
    const broker = connect(this.upstreamPort, "127.0.0.1");
    this.sockets.add(client).add(broker);
    client.setNoDelay(true);
    broker.setNoDelay(true);
    const record = (direction: "out" | "in") => {
      const parser = mqttPacket.parser({ protocolVersion: 4 });
      parser.on("packet", (p) => this.packets.push(summary(connection, direction, p as unknown as Record<string, unknown>)));
      parser.on("error", (error: Error) => this.errors.push(`connection ${connection} ${direction}: ${error.message}`));
      return parser;
    };
    const out = record("out");
    const incoming = record("in");
    // Bytes that arrive before the broker accepts are held by the socket until it connects.
    client.on("data", (data) => {
      out.parse(data);
      broker.write(data);
    });
    broker.on("data", (data) => {
      incoming.parse(data);
      client.write(data);
    });
    const end = () => {
      client.destroy();
      broker.destroy();
      this.sockets.delete(client);
      this.sockets.delete(broker);
    };
    client.on("close", end);
    broker.on("close", end);
    client.on("error", end);
    broker.on("error", end);
  }

  /** Closes every relayed connection (as a link drop would) but keeps listening. */
  dropAll(): void {
    for (const socket of this.sockets) socket.destroy();
  }

  async close(): Promise<void> {
    this.dropAll();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

function summary(connection: number, direction: "out" | "in", p: Record<string, unknown>): RecordedPacket {
  const r: RecordedPacket = { connection, direction, cmd: p.cmd as string };
  if (p.messageId !== undefined) r.messageId = p.messageId as number;
  if (p.cmd === "publish") {
    r.qos = p.qos as number;
    r.dup = p.dup as boolean;
    r.retain = p.retain as boolean;
    r.topic = p.topic as string;
    r.payload = Buffer.from(p.payload as Uint8Array).toString();
  }
  if (p.cmd === "connect") {
    r.clientId = p.clientId as string;
    r.clean = p.clean as boolean;
  }
  if (p.cmd === "connack") {
    r.sessionPresent = p.sessionPresent as boolean;
    r.returnCode = p.returnCode as number;
  }
  return r;
}
