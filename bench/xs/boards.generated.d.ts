// The module bench/client-xs.ts writes to build/bench/xs/boards.generated.js from boards/*.json before
// running bench/xs/client.xs.ts on XS (XS cannot read files): each board's name and "client" options.
import type { ClientOptions } from "../../firmware/mqtt/client/options.js";

declare const boards: { name: string; client: Omit<ClientOptions, "clientId"> }[];
export default boards;
