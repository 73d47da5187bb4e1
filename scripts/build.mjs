// Builds the firmware (and the XS test modules and benches that import it) from TypeScript into plain ES modules
// in build/, one module per source file, with relative imports kept as written: this is what XS loads,
// in our XS test runner and in a Moddable manifest.
import { build } from "esbuild";
import { existsSync, readdirSync, rmSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const outdir = join(root, "build");

/** Every .ts file under dir, skipping declaration files and Node-side tests. */
function sources(dir) {
  const found = [];
  if (!existsSync(dir)) return found;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) found.push(...sources(path));
    else if (name.endsWith(".ts") && !name.endsWith(".d.ts") && !name.endsWith(".test.ts")) found.push(path);
  }
  return found;
}

// firmware/ is what a device runs; the XS test suites, the shared vectors, the model check and the benches import it by
// relative path, so they are built beside it (bench/ also holds Node-side scripts: same output format).
const entryPoints = ["firmware", "host-sim", "test/xs/suites", "test/vectors", "test/model", "bench"].flatMap((dir) => sources(join(root, dir)));
entryPoints.push(join(root, "test", "xs", "xs-run.ts")); // the Node side of the XS runner, for npm run bench
rmSync(join(outdir, "firmware"), { recursive: true, force: true });
await build({
  entryPoints,
  outdir,
  outbase: root,
  bundle: false,
  format: "esm",
  target: "es2022",
  platform: "neutral",
  sourcemap: false,
  logLevel: "warning",
});
if (!process.argv.includes("--quiet")) {
  console.log(`built ${entryPoints.length} modules into ${relative(process.cwd(), outdir) || "."}/`);
}
