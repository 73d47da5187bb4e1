/**
 * aedes behind `ws` on an HTTP server at 127.0.0.1 on a free port, path /mqtt (ws picks the client's
 * first subprotocol, mqtt): the broker process of the WebSocket end-to-end figures (bench/e2e-ws-broker.ts
 * starts it and reads the port from its IPC message). Ends on SIGTERM.
 */
import { once } from "node:events";
import { createServer } from "node:http";
import { Aedes } from "aedes";
import { createWebSocketStream, WebSocketServer } from "ws";

const aedes = await Aedes.createBroker();
const http = createServer();
const wss = new WebSocketServer({ server: http, path: "/mqtt" });
wss.on("connection", (socket) => aedes.handle(createWebSocketStream(socket) as never));
http.listen(0, "127.0.0.1");
await once(http, "listening");
const port = (http.address() as { port: number }).port;
if (typeof process.send === "function") process.send({ type: "listening", port });
else console.log(`aedes over ws on ws://127.0.0.1:${port}/mqtt`);
process.on("SIGTERM", () => {
  for (const client of wss.clients) client.terminate();
  wss.close();
  http.close();
  aedes.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 1000).unref();
});
