/**
 * MQTT 5.0 reason codes (§2.4 Table 2-6) and their words, for the codes a server sends in CONNACK,
 * PUBACK, PUBREC, PUBREL, PUBCOMP, SUBACK, UNSUBACK, DISCONNECT and AUTH. For logs, not for hot paths.
 */

/** The words for a reason code, or "" for one the table does not define. */
export function reasonWords(code: number): string {
  switch (code) {
    case 0x04: return "disconnect with will message";
    case 0x10: return "no matching subscribers";
    case 0x11: return "no subscription existed";
    case 0x18: return "continue authentication";
    case 0x19: return "re-authenticate";
    case 0x80: return "unspecified error";
    case 0x81: return "malformed packet";
    case 0x82: return "protocol error";
    case 0x83: return "implementation specific error";
    case 0x84: return "unsupported protocol version";
    case 0x85: return "client identifier not valid";
    case 0x86: return "bad user name or password";
    case 0x87: return "not authorized";
    case 0x88: return "server unavailable";
    case 0x89: return "server busy";
    case 0x8a: return "banned";
    case 0x8b: return "server shutting down";
    case 0x8c: return "bad authentication method";
    case 0x8d: return "keep alive timeout";
    case 0x8e: return "session taken over";
    case 0x8f: return "topic filter invalid";
    case 0x90: return "topic name invalid";
    case 0x91: return "packet identifier in use";
    case 0x92: return "packet identifier not found";
    case 0x93: return "receive maximum exceeded";
    case 0x94: return "topic alias invalid";
    case 0x95: return "packet too large";
    case 0x96: return "message rate too high";
    case 0x97: return "quota exceeded";
    case 0x98: return "administrative action";
    case 0x99: return "payload format invalid";
    case 0x9a: return "retain not supported";
    case 0x9b: return "QoS not supported";
    case 0x9c: return "use another server";
    case 0x9d: return "server moved";
    case 0x9e: return "shared subscriptions not supported";
    case 0x9f: return "connection rate exceeded";
    case 0xa0: return "maximum connect time";
    case 0xa1: return "subscription identifiers not supported";
    case 0xa2: return "wildcard subscriptions not supported";
    default: return "";
  }
}

/**
 * A CONNACK refusal that says something about us (credentials, identity, what we asked for), not about
 * the server's load: trying again at once would be refused again, so the next attempt waits the longest.
 */
export function refusedForWhoWeAre(reasonCode: number): boolean {
  // server unavailable, server busy, quota exceeded, connection rate exceeded, use another server, server moved
  return reasonCode !== 0x88 && reasonCode !== 0x89 && reasonCode !== 0x97 && reasonCode !== 0x9f && reasonCode !== 0x9c && reasonCode !== 0x9d;
}
