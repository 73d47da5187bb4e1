/**
 * Host helpers for running real peers on this machine (the tests' and the bench's mosquitto): finding a
 * binary, a free loopback port, and whether something accepts connections on one.
 */
import { execFileSync } from "node:child_process";
import { once } from "node:events";
import { existsSync } from "node:fs";
import { connect, createServer } from "node:net";

/** A binary on the usual paths or on PATH, or null. */
export function findBinary(name: string, paths: string[]): string | null {
  for (const path of paths) if (existsSync(path)) return path;
  try {
    return execFileSync("sh", ["-c", `command -v ${name}`], { encoding: "utf8" }).trim() || null;
  } catch {
    return null;
  }
}

/** Debian's mosquitto (in /usr/sbin, often not on PATH), or null. */
export const findMosquitto = () => findBinary("mosquitto", ["/usr/sbin/mosquitto", "/usr/bin/mosquitto", "/usr/local/sbin/mosquitto", "/usr/local/bin/mosquitto"]);

/** A free TCP port on 127.0.0.1 (bound and released; the caller's server takes it next). */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Whether something accepts a TCP connection on 127.0.0.1:port now. */
export function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}
