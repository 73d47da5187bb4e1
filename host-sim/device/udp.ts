// `embedded:io/socket/udp` on Node (modules/io/socket/lwip/udp.c), over node:dgram. Firmware needs it to
// construct the DNS resolver ({socket: {io: UDP}}); it also works as a plain UDP socket:
// - new UDP({port?, onReadable(packets), target?}); format must be "buffer" (else RangeError("invalid format")).
// - onReadable(count) gives the number of packets waiting; read() returns the next one as a new ArrayBuffer
//   with `address` and `port` properties, or undefined.
// - write(address, port, buffer): address a dotted IPv4 string (else RangeError("invalid IP address"));
//   throws Error("UDP send failed") while Wi-Fi is down.
import { createSocket } from "node:dgram";
import type { Socket } from "node:dgram";
import { currentNetwork } from "../network.js";
import type { NetworkMember, SimNetwork } from "../network.js";
import { bufferBytes, callbackOf, closedError, initialFormat, isIPv4, toInteger } from "./common.js";

export interface UDPOptions {
  port?: number;
  format?: "buffer";
  onReadable?: (this: UDP, count: number) => void;
  target?: unknown;
}

/** A received packet: an ArrayBuffer with where it came from. */
export type UDPPacket = ArrayBuffer & { address: string; port: number };

export default class UDP {
  declare target: unknown;

  #socket: Socket | null;
  #network: SimNetwork;
  #member: NetworkMember;
  #packets: UDPPacket[] = [];
  #pending = false;
  #onReadable: ((...args: never[]) => unknown) | undefined;

  constructor(options: UDPOptions = {}) {
    let port = 0;
    if ("port" in options) {
      port = toInteger(options.port);
      if (port < 0 || port > 65535) throw new RangeError("invalid port");
    }
    if ("target" in options) this.target = options.target;
    if (initialFormat(options, "buffer") !== "buffer") throw new RangeError("invalid format");
    this.#onReadable = callbackOf(options, "onReadable");
    this.#network = currentNetwork();
    const socket = createSocket("udp4");
    socket.on("message", (message, remote) => {
      if (!this.#socket || this.#network.holding) return; // a held datagram is a lost datagram
      this.#network.stats.bytesIn += message.length;
      const packet = Uint8Array.from(message).buffer as UDPPacket;
      packet.address = remote.address;
      packet.port = remote.port;
      this.#packets.push(packet);
      if (!this.#pending) {
        this.#pending = true;
        setImmediate(() => this.#deliver());
      }
    });
    socket.on("error", (error) => {
      this.#network.lastError = error;
    });
    socket.bind(port);
    this.#socket = socket;
    this.#member = { faultDrop: () => {}, resume: () => {} };
    this.#network.add(this.#member);
  }

  read(): UDPPacket | undefined {
    if (!this.#socket) throw closedError("UDP");
    return this.#packets.shift();
  }

  write(address: string, port: number, data: ArrayBufferLike | ArrayBufferView): void {
    const socket = this.#socket;
    if (!socket) throw closedError("UDP");
    const to = toInteger(port) & 0xffff;
    if (!isIPv4(String(address))) throw new RangeError("invalid IP address");
    const bytes = Buffer.from(bufferBytes(data, "UDP write"));
    if (!this.#network.wifi) throw new Error("UDP send failed");
    if (this.#network.holding) return; // stalled: the datagram is lost
    this.#network.stats.bytesOut += bytes.length;
    socket.send(bytes, to, String(address));
  }

  close(): void {
    const socket = this.#socket;
    if (!socket) return;
    this.#socket = null;
    this.#packets = [];
    this.#network.remove(this.#member);
    socket.close();
  }

  #deliver(): void {
    this.#pending = false;
    if (!this.#socket || this.#packets.length === 0) return;
    try {
      this.#onReadable?.call(this, this.#packets.length as never);
    } catch (error) {
      this.#network.reportException(error);
    }
  }
}
