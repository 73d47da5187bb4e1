/*
 * Publish and subscribe with mqtt-xs: the counterpart of the Moddable SDK's examples/network/mqtt/mqttbasic.
 * Subscribes to mqtt-xs/example/#, then publishes the date and a random number every second and traces
 * what comes back. Reconnects by itself (backoff); the subscription is renewed when the broker lost it.
 *
 *   mcconfig -d -m -p esp32 examples/pubsub/manifest.json ssid="my-wifi" password="wifi-secret" broker=test.mosquitto.org
 *   mcconfig -d -m -p lin examples/pubsub/manifest.json broker=127.0.0.1 port=1883
 *
 * Plain JavaScript against the public entries: mqtt-xs/net's connect() (the composed client: an MqttClient
 * and the MqttConnection that drives it over the device's ECMA-419 sockets) and mqtt-xs/client's words for
 * the codes. The device's modules are imported by their own names and handed to the client.
 */
import config from "mc/config";
import TCP from "embedded:io/socket/tcp";
import UDP from "embedded:io/socket/udp";
import DNS from "embedded:network/dns/resolver/udp";
import Time from "time";
import Timer from "timer";
import { disconnectMessage } from "mqtt-xs/client";
import { connect, describeCause } from "mqtt-xs/net";

export default function main() {
  const device = { TCP, Resolver: DNS, UDP, dnsServers: String(config.dns).split(","), Timer, ticks: () => Time.ticks };
  let timer = null;

  const mqtt = connect(`mqtt://${config.broker}:${config.port}`, {
    device,
    onConnected() {
      trace(`connected to ${config.broker}\n`);
      if (timer === null) timer = Timer.repeat(tick, 1000);
    },
    onDisconnected(reason, cause) {
      trace(`lost connection to server: ${cause ? describeCause(cause, this.connection) : disconnectMessage(reason)}\n`);
      if (timer !== null) Timer.clear(timer);
      timer = null;
    },
  });
  mqtt.subscribe("mqtt-xs/example/#", 0, (message) => {
    trace(`received "${message.topicString()}": ${message.payloadString()}\n`);
  });
  // Topics encoded once: publishing to a handle encodes nothing.
  const date = mqtt.topic("mqtt-xs/example/date");
  const random = mqtt.topic("mqtt-xs/example/random");
  function tick() {
    mqtt.publish(date, Date());
    mqtt.publish(random, String(Math.random()));
  }
  return mqtt;
}
