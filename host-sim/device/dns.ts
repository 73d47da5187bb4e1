// `embedded:network/dns/resolver/udp` on Node: the DNS resolver as the Moddable SDK implements it
// (examples/io/udp/dns/dns.js, mapped to this name by examples/io/udp/dns/manifest_dns.json), answering
// from node:dns (lookup, IPv4 only) instead of sending UDP queries itself:
//
//   const resolver = new Resolver({socket: {io: UDP}, servers: ["8.8.8.8", "1.1.1.1"]});
//   resolver.resolve({host, onResolved(host, address) {}, onError(host) {}});
//   resolver.close();   // pending requests are dropped: their callbacks never run
//
// - The constructor copies `servers` (servers.slice(): a TypeError without it). resolve() throws Error when
//   host is empty, both callbacks are missing, or the resolver is closed (or was made without `socket`).
// - Exactly one of onResolved(host, address) / onError(host) runs, later, with `this` = the resolver.
//   address is a dotted IPv4 string (A records only).
// - A host that is already an IPv4 address is not special-cased by the SDK: it is sent to the DNS server
//   as a name, which answers NXDOMAIN, so onError(host). Resolve only names; connect to addresses directly.
// - No answer at all (Wi-Fi down) is a timeout: the SDK retries every second and gives up after
//   servers.length * 5 tries, so onError comes (servers.length * 5 - 1) s later (the network's dnsRetryMs
//   scales the second).
import { lookup } from "node:dns";
import { TransportCause } from "../../firmware/mqtt/client/errors.js";
import { currentNetwork } from "../network.js";
import type { SimNetwork } from "../network.js";
import { isIPv4 } from "./common.js";

export interface ResolverOptions {
  /** The UDP socket class, as {io: UDP}. Not used by the simulation beyond being required. */
  socket: { io: unknown };
  /** DNS server addresses. */
  servers: string[];
}

export interface ResolveOptions {
  host: string;
  onResolved?: (this: Resolver, host: string, address: string) => void;
  /** cause: a TransportCause (HostNotFound, or NetworkDown while Wi-Fi is down); absent with `causes: false`, as the SDK's. */
  onError?: (this: Resolver, host: string, cause?: number) => void;
}

interface Request {
  host: string;
  onResolved: ResolveOptions["onResolved"];
  onError: ResolveOptions["onError"];
  timer: NodeJS.Timeout | undefined;
}

export default class Resolver {
  #servers: string[] | undefined;
  #socket: { io: unknown } | undefined;
  #requests = new Set<Request>();
  #network: SimNetwork;

  constructor(options: ResolverOptions) {
    this.#servers = options.servers.slice();
    this.#socket = options.socket;
    this.#network = currentNetwork();
  }

  resolve(options: ResolveOptions): void {
    const { onResolved, onError } = options;
    let host: unknown = options.host;
    if (!host || (!onResolved && !onError) || !this.#socket) throw new Error();
    host = String(host);
    const request: Request = { host: host as string, onResolved, onError, timer: undefined };
    this.#requests.add(request);
    const network = this.#network;
    network.stats.dnsRequests++;
    // The SDK makes the UDP socket on its first send: with no usable socket class every try fails
    // silently and the request times out.
    const socketWorks = typeof (this.#socket as { io?: unknown }).io === "function";
    if (!network.wifi || !socketWorks) return this.#timeOut(request);
    if (isIPv4(request.host)) {
      request.timer = setTimeout(() => this.#finish(request, undefined), 0);
      return;
    }
    lookup(request.host, { family: 4 }, (error, address) => {
      if (!this.#requests.has(request)) return;
      if (error) network.lastError = error;
      // An answer that comes back while Wi-Fi is down never reached the device.
      if (!network.wifi) return this.#timeOut(request);
      this.#finish(request, error ? undefined : address);
    });
  }

  close(): void {
    for (const request of this.#requests) clearTimeout(request.timer);
    this.#requests.clear();
    this.#socket = this.#servers = undefined;
  }

  #timeOut(request: Request): void {
    const tries = (this.#servers?.length ?? 1) * 5;
    request.timer = setTimeout(() => this.#finish(request, undefined), (tries - 1) * this.#network.dnsRetryMs);
  }

  #finish(request: Request, address: string | undefined): void {
    if (!this.#requests.delete(request)) return;
    clearTimeout(request.timer);
    try {
      if (address) request.onResolved?.call(this, request.host, address);
      else {
        const network = this.#network;
        network.stats.dnsFailures++;
        if (!network.causes) request.onError?.call(this, request.host);
        else request.onError?.call(this, request.host, network.wifi ? TransportCause.HostNotFound : TransportCause.NetworkDown);
      }
    } catch (error) {
      this.#network.reportException(error);
    }
  }
}
