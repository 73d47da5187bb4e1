/**
 * The live page of `npm start`: an HTTP server on 127.0.0.1 (node:http) serving the page (host-sim/web/page/,
 * plain HTML, JS and CSS) and uPlot (node_modules/uplot/dist), and a WebSocket feed (`ws`) on /feed: the
 * first message, each event, the stats every second, and a reply to each request (host-sim/web/feed.ts).
 * Loopback only; a request whose Host is not this address, or a WebSocket from another page's origin, is
 * refused (another site open in the browser could otherwise reach it: DNS rebinding, cross-site sockets).
 */
import { once } from "node:events";
import { readFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { fileURLToPath } from "node:url";
import { WebSocketServer, type WebSocket } from "ws";
import type { SimEvent, Simulation } from "../simulation.js";
import { Feed } from "./feed.js";

export interface WebView {
  /** http://127.0.0.1:<port>/ */
  url: string;
  port: number;
  /** Starts the feed from this simulation (events given before are dropped). */
  attach(sim: Simulation, start: Record<string, unknown>): void;
  /** An event of the simulation, to every page. */
  event(e: SimEvent): void;
  close(): Promise<void>;
}

/** The repository's root, found from this module (it runs from host-sim/web/ or build/host-sim/web/). */
function root(): string {
  return fileURLToPath(new URL(".", import.meta.url)).replace(/\/(build\/)?host-sim\/web\/?$/, "/");
}

const TYPES: Record<string, string> = { html: "text/html; charset=utf-8", js: "text/javascript; charset=utf-8", css: "text/css; charset=utf-8" };

/** What the server serves: the page's files and uPlot's, by path. */
function files(): Record<string, string> {
  const dir = root();
  const page = (name: string) => `${dir}host-sim/web/page/${name}`;
  return {
    "/": page("index.html"),
    "/app.js": page("app.js"),
    "/plots.js": page("plots.js"),
    "/style.css": page("style.css"),
    "/uplot.js": `${dir}node_modules/uplot/dist/uPlot.iife.min.js`,
    "/uplot.css": `${dir}node_modules/uplot/dist/uPlot.min.css`,
  };
}

/** Listens on 127.0.0.1 (`port` 0 or absent: a free one); throws the listen error (EADDRINUSE, ...). */
export async function startWebView(port = 0): Promise<WebView> {
  const served = files();
  let feed: Feed | null = null;
  let bound = port;
  const ours = (host: string | undefined) => host === `127.0.0.1:${bound}` || host === `localhost:${bound}`;

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? "/").split("?")[0];
    const file = served[path];
    if (!ours(req.headers.host)) return end(res, 421, "this server answers to 127.0.0.1 only");
    if (req.method !== "GET" && req.method !== "HEAD") return end(res, 405, "GET only");
    if (file === undefined) return end(res, 404, `no ${path} here`);
    readFile(file).then(
      (body) => {
        res.writeHead(200, {
          "content-type": TYPES[file.slice(file.lastIndexOf(".") + 1)] ?? "application/octet-stream",
          "cache-control": "no-store",
          "content-security-policy": "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:",
        });
        res.end(req.method === "HEAD" ? undefined : body);
      },
      () => end(res, 500, `cannot read ${path}${path.startsWith("/uplot") ? ": is uplot installed (npm ci)?" : ""}`),
    );
  });
  const sockets = new WebSocketServer({
    server,
    path: "/feed",
    maxPayload: 8192,
    // A browser always sends its page's Origin: only this page's may drive the simulation.
    verifyClient: ({ origin, req }: { origin: string; req: IncomingMessage }) => ours(req.headers.host) && (origin === undefined || ours(origin.replace(/^http:\/\//, ""))),
  });
  const pages = new Set<WebSocket>();
  const send = (ws: WebSocket, message: unknown) => {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(message));
  };
  sockets.on("connection", (ws) => {
    pages.add(ws);
    ws.on("close", () => pages.delete(ws));
    ws.on("error", () => pages.delete(ws)); // e.g. a message over maxPayload: ws closes it (1009)
    ws.on("message", (data, binary) => {
      if (feed === null) return send(ws, { type: "reply", ref: null, ok: false, error: "the simulation is starting" });
      send(ws, binary ? { type: "reply", ref: null, ok: false, error: "text messages only" } : feed.request(data.toString()));
    });
    if (feed !== null) send(ws, feed.hello());
  });

  server.listen(port, "127.0.0.1");
  await Promise.race([once(server, "listening"), once(server, "error").then(([error]) => Promise.reject(error as Error))]);
  bound = (server.address() as { port: number }).port;
  let ticker: NodeJS.Timeout | null = null;
  return {
    url: `http://127.0.0.1:${bound}/`,
    port: bound,
    attach(sim, start) {
      feed = new Feed(sim, start);
      for (const ws of pages) send(ws, feed.hello());
      ticker = setInterval(() => {
        if (pages.size === 0 || feed === null) return;
        const stats = feed.stats();
        for (const ws of pages) send(ws, stats);
      }, 1000);
    },
    event(e) {
      const short = feed?.event(e);
      if (short) for (const ws of pages) send(ws, short);
    },
    async close() {
      if (ticker) clearInterval(ticker);
      for (const ws of pages) ws.terminate();
      await new Promise<void>((r) => sockets.close(() => r()));
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

function end(res: ServerResponse, status: number, words: string): void {
  res.writeHead(status, { "content-type": "text/plain; charset=utf-8" });
  res.end(words + "\n");
}
