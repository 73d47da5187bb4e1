// mqtt-xs/client: the client's public entry (build/firmware/mqtt/index.js) under a short name. XS resolves a
// relative import against the importing module's name, so index.js itself keeps the name that mirrors its
// directory (mqtt-xs/mqtt/index) and this module re-exports it.
export * from "mqtt-xs/mqtt/index";
