// The codec's XS suite (test/xs/suites/codec.xs.ts), run on the real XS engine: vectors and allocation.
import { describeXs } from "./describe-xs.js";

await describeXs("codec on XS", "build/test/xs/suites/codec.xs.js");
