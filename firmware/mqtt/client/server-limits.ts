/**
 * What the server said of itself in its last CONNACK (MQTT 5.0, §3.2.2.3), with the spec's defaults for
 * what it left out; for 3.1.1 the defaults stand (no limits beyond the protocol's). The client holds
 * itself to them: at most Receive Maximum QoS 1/2 PUBLISH unacknowledged [MQTT-3.3.4-7], no packet over
 * Maximum Packet Size [MQTT-3.2.2-15], no QoS above Maximum QoS [MQTT-3.2.2-11], no retain where Retain
 * Available is 0 [MQTT-3.2.2-14], Server Keep Alive instead of ours [MQTT-3.2.2-21].
 */
import { Property, type Properties } from "../codec/properties.js";

/** §2.2.3: the largest packet a Remaining Length can frame, fixed header included. */
const PROTOCOL_MAXIMUM = 268_435_460;

export class ServerLimits {
  receiveMaximum = 65_535;
  maximumPacketSize = PROTOCOL_MAXIMUM;
  maximumQoS = 2;
  retainAvailable = true;
  /** Seconds, or -1: the server did not set one (ours stands). */
  serverKeepAlive = -1;
  topicAliasMaximum = 0;
  wildcardSubscriptionAvailable = true;
  subscriptionIdentifierAvailable = true;
  sharedSubscriptionAvailable = true;

  /** Takes a 5.0 CONNACK's properties: each one given, or its default (a new connection starts afresh). */
  accept(p: Properties): void {
    this.receiveMaximum = p.number(Property.ReceiveMaximum, 65_535);
    this.maximumPacketSize = p.number(Property.MaximumPacketSize, PROTOCOL_MAXIMUM);
    this.maximumQoS = p.number(Property.MaximumQoS, 2);
    this.retainAvailable = p.number(Property.RetainAvailable, 1) === 1;
    this.serverKeepAlive = p.number(Property.ServerKeepAlive, -1);
    this.topicAliasMaximum = p.number(Property.TopicAliasMaximum, 0);
    this.wildcardSubscriptionAvailable = p.number(Property.WildcardSubscriptionAvailable, 1) === 1;
    this.subscriptionIdentifierAvailable = p.number(Property.SubscriptionIdentifierAvailable, 1) === 1;
    this.sharedSubscriptionAvailable = p.number(Property.SharedSubscriptionAvailable, 1) === 1;
  }
}
