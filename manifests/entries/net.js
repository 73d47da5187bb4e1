// mqtt-xs/net: the network adapter's public entry (build/firmware/net/index.js) under a short name; see client.js.
export * from "mqtt-xs/net/index";
