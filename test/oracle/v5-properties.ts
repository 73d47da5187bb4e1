/**
 * MQTT 5.0 properties for the oracle tests, in mqtt-packet's shape: which properties each packet may
 * carry (§2.2.2.2 Table 2-4), arbitraries that generate them, our writers driven from the same object
 * (in mqtt-packet's order), and our decoded Properties read back into mqtt-packet's parsed shape.
 */
import fc from "fast-check";
import {
  Property,
  type Properties,
  writeByteProperty,
  writeDataProperty,
  writeU16Property,
  writeU32Property,
  writeUserProperty,
  writeVarintProperty,
} from "../../firmware/mqtt/codec/properties.js";
import { utf8 } from "./arbitraries.js";

type Kind = "byte" | "int8" | "int16" | "int32" | "var" | "string" | "binary" | "pair";

/** mqtt-packet's property names, with our identifier and mqtt-packet's type name. */
export const NAMES: Record<string, [Property, Kind]> = {
  payloadFormatIndicator: [Property.PayloadFormatIndicator, "byte"],
  messageExpiryInterval: [Property.MessageExpiryInterval, "int32"],
  contentType: [Property.ContentType, "string"],
  responseTopic: [Property.ResponseTopic, "string"],
  correlationData: [Property.CorrelationData, "binary"],
  subscriptionIdentifier: [Property.SubscriptionIdentifier, "var"],
  sessionExpiryInterval: [Property.SessionExpiryInterval, "int32"],
  assignedClientIdentifier: [Property.AssignedClientIdentifier, "string"],
  serverKeepAlive: [Property.ServerKeepAlive, "int16"],
  authenticationMethod: [Property.AuthenticationMethod, "string"],
  authenticationData: [Property.AuthenticationData, "binary"],
  requestProblemInformation: [Property.RequestProblemInformation, "byte"],
  willDelayInterval: [Property.WillDelayInterval, "int32"],
  requestResponseInformation: [Property.RequestResponseInformation, "byte"],
  responseInformation: [Property.ResponseInformation, "string"],
  serverReference: [Property.ServerReference, "string"],
  reasonString: [Property.ReasonString, "string"],
  receiveMaximum: [Property.ReceiveMaximum, "int16"],
  topicAliasMaximum: [Property.TopicAliasMaximum, "int16"],
  topicAlias: [Property.TopicAlias, "int16"],
  maximumQoS: [Property.MaximumQoS, "int8"],
  retainAvailable: [Property.RetainAvailable, "byte"],
  userProperties: [Property.UserProperty, "pair"],
  maximumPacketSize: [Property.MaximumPacketSize, "int32"],
  wildcardSubscriptionAvailable: [Property.WildcardSubscriptionAvailable, "byte"],
  subscriptionIdentifiersAvailable: [Property.SubscriptionIdentifierAvailable, "byte"],
  sharedSubscriptionAvailable: [Property.SharedSubscriptionAvailable, "byte"],
};

/** Table 2-4, by packet (and the will). */
export const ALLOWED = {
  connect: ["sessionExpiryInterval", "receiveMaximum", "maximumPacketSize", "topicAliasMaximum", "requestResponseInformation", "requestProblemInformation", "userProperties", "authenticationMethod", "authenticationData"],
  will: ["willDelayInterval", "payloadFormatIndicator", "messageExpiryInterval", "contentType", "responseTopic", "correlationData", "userProperties"],
  connack: [
    "sessionExpiryInterval",
    "receiveMaximum",
    "maximumQoS",
    "retainAvailable",
    "maximumPacketSize",
    "assignedClientIdentifier",
    "topicAliasMaximum",
    "reasonString",
    "userProperties",
    "wildcardSubscriptionAvailable",
    "subscriptionIdentifiersAvailable",
    "sharedSubscriptionAvailable",
    "serverKeepAlive",
    "responseInformation",
    "serverReference",
    "authenticationMethod",
    "authenticationData",
  ],
  publish: ["payloadFormatIndicator", "messageExpiryInterval", "topicAlias", "responseTopic", "correlationData", "userProperties", "subscriptionIdentifier", "contentType"],
  ack: ["reasonString", "userProperties"],
  subscribe: ["subscriptionIdentifier", "userProperties"],
  unsubscribe: ["userProperties"],
  disconnect: ["sessionExpiryInterval", "reasonString", "serverReference", "userProperties"],
  auth: ["authenticationMethod", "authenticationData", "reasonString", "userProperties"],
} as const;

/** A character of a UTF-8 property string: any scalar value but U+0000 [MQTT-1.5.4-2]. */
const textChar = fc
  .oneof(fc.integer({ min: 1, max: 0x7f }), fc.integer({ min: 0x80, max: 0xd7ff }), fc.integer({ min: 0xe000, max: 0x10ffff }))
  .map((c) => String.fromCodePoint(c));
const text = fc.string({ unit: textChar, maxLength: 24 });
/** mqtt-packet's parser merges a repeated user property only when the first value is truthy: values are not empty. */
const value = fc.string({ unit: textChar, minLength: 1, maxLength: 12 });

function valueArb(name: string, kind: Kind, repeatable: boolean): fc.Arbitrary<unknown> {
  switch (kind) {
    case "byte": return fc.boolean();
    case "int8": return fc.constantFrom(0, 1);
    case "int16": return fc.integer({ min: 1, max: 0xffff });
    case "int32": return fc.oneof(fc.integer({ min: 1, max: 0xff }), fc.integer({ min: 1, max: 0xffffffff }));
    case "var": {
      const one = fc.oneof(fc.integer({ min: 1, max: 127 }), fc.integer({ min: 128, max: 0x0fffffff }));
      return repeatable && name === "subscriptionIdentifier" ? fc.oneof(one, fc.array(one, { minLength: 2, maxLength: 3 })) : one;
    }
    case "string": return text;
    case "binary": return fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b));
    case "pair":
      // keys never look like integers: a JavaScript object would reorder them
      return fc.dictionary(text.map((k) => "k" + k), fc.oneof(value, fc.array(value, { minLength: 2, maxLength: 3 })), { minKeys: 1, maxKeys: 3 });
  }
}

/**
 * Properties a packet of `kind` may carry: any subset, in Table 2-4's order. `repeatable`: a server's
 * PUBLISH may carry several Subscription Identifiers.
 */
export function propertiesArb(kind: keyof typeof ALLOWED, repeatable = false): fc.Arbitrary<Record<string, unknown>> {
  const model: Record<string, fc.Arbitrary<unknown>> = {};
  for (const name of ALLOWED[kind]) model[name] = valueArb(name, NAMES[name][1], repeatable);
  return fc.record(model, { requiredKeys: [] });
}

/** Our writers, in mqtt-packet's order (the object's keys; a user property's names, then each value). */
export function writeProperties(properties: Record<string, unknown>): Uint8Array {
  const buf = new Uint8Array(1 << 16);
  let off = 0;
  for (const name of Object.keys(properties)) {
    const [id, kind] = NAMES[name];
    const v = properties[name];
    switch (kind) {
      case "byte": off = writeByteProperty(buf, off, id, v ? 1 : 0); break;
      case "int8": off = writeByteProperty(buf, off, id, v as number); break;
      case "int16": off = writeU16Property(buf, off, id, v as number); break;
      case "int32": off = writeU32Property(buf, off, id, v as number); break;
      case "var":
        for (const each of Array.isArray(v) ? v : [v]) off = writeVarintProperty(buf, off, id, each as number);
        break;
      case "string": off = writeDataProperty(buf, off, id, utf8(v as string)); break;
      case "binary": off = writeDataProperty(buf, off, id, new Uint8Array(v as Buffer)); break;
      case "pair":
        for (const [key, values] of Object.entries(v as Record<string, string | string[]>)) {
          for (const each of Array.isArray(values) ? values : [values]) off = writeUserProperty(buf, off, utf8(key), utf8(each));
        }
        break;
    }
  }
  return buf.slice(0, off);
}

/** Our decoded properties in mqtt-packet's parsed shape (what its parser gives for the same bytes). */
export function readProperties(properties: Properties): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, [id, kind]] of Object.entries(NAMES)) {
    if (!properties.has(id)) continue;
    switch (kind) {
      case "byte": out[name] = properties.number(id, -1) === 1; break;
      case "int8":
      case "int16":
      case "int32": out[name] = properties.number(id, -1); break;
      case "var": {
        const count = properties.subscriptionIdentifierCount;
        if (count <= 1) out[name] = properties.number(id, -1);
        else out[name] = Array.from({ length: count }, (_, i) => properties.subscriptionIdentifier(i));
        break;
      }
      case "string": out[name] = properties.string(id); break;
      case "binary": {
        const at = properties.dataOffset(id);
        out[name] = Buffer.from(properties.buffer.slice(at, at + properties.dataLength(id)));
        break;
      }
      case "pair": {
        const pairs: Record<string, string | string[]> = Object.create(null);
        const decode = (at: number, length: number) => Buffer.from(properties.buffer.slice(at, at + length)).toString("utf8");
        for (let i = 0; properties.userProperty(i); i++) {
          const key = decode(properties.keyOffset, properties.keyLength);
          const v = decode(properties.valueOffset, properties.valueLength);
          const had = pairs[key];
          pairs[key] = had === undefined ? v : Array.isArray(had) ? [...had, v] : [had, v];
        }
        out[name] = pairs;
        break;
      }
    }
  }
  return out;
}
