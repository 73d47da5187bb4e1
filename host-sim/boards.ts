/** Board definitions (boards/*.json), shared by the simulator and the Moddable manifests. */
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { ClientOptions } from "../firmware/mqtt/client/options.js";

export interface Board {
  name: string;
  description: string;
  platform: string;
  i2c: { port: number; sda: number; scl: number; hz: number };
  led: number | string;
  sensors: { name: string; driver: "SHT3x" | "BMP280"; address: number }[];
  client: Partial<ClientOptions>;
}

/** The boards/ folder of the repository, found from this module (it runs from host-sim/ or build/host-sim/). */
function boardsDir(): string {
  const here = fileURLToPath(new URL(".", import.meta.url));
  return here.includes("/build/") ? here.replace(/\/build\/host-sim\/?$/, "/boards/") : here.replace(/\/host-sim\/?$/, "/boards/");
}

export function boardNames(): string[] {
  return readdirSync(boardsDir())
    .filter((f) => f.endsWith(".json"))
    .map((f) => f.slice(0, -5));
}

/** Reads boards/<name>.json; throws with the list of boards for an unknown name. */
export function loadBoard(name: string): Board {
  if (!boardNames().includes(name)) throw new Error(`unknown board ${JSON.stringify(name)}: one of ${boardNames().join(", ")}`);
  return JSON.parse(readFileSync(boardsDir() + name + ".json", "utf8")) as Board;
}
