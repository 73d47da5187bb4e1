/**
 * Shrunk runs of the model check, kept as regression vectors: each once failed, and every run of the model
 * check (Node and XS) replays them first. The "D" ones failed on the client before the client issue's fixes
 * (found by the model check on that code; the closing note says after how many random runs); the others
 * failed on the reworked client while it was written, until fixed, but the "guard" ones: a run the random
 * steps seldom make, which fails a client known to be wrong (named in it). The "5.0" ones run at protocolVersion 5
 * (found by the 5.0 model check on the client that first had 5.0); the last four were found when the model
 * gained Topic Aliases and Message Expiry, and fail until the client is fixed.
 * This module runs on XS.
 */
import type { Run } from "./harness.js";

export interface Regression {
  name: string;
  /** What the failing client did, as the model check reported it. */
  found: string;
  run: Run;
}

export const regressions: Regression[] = [
  {
    name: "D2 offset/length/retain not checked",
    found: "step 1 {\"k\":\"bad-publish\",\"v\":6}: publish(\"a\", object, 0, false, 8, undefined) returned -105, the model says -109",
    run: {"options": {"clientId": "m1", "clean": false, "keepalive": 1, "receiveBufferSize": 128, "maxPacketSize": 128, "transmitBufferSize": 256, "controlBufferSize": 46, "inflight": 2, "queueSlots": 4, "subscriptions": 1, "queuePolicy": "reject", "connectTimeout": 5000, "reconnectPeriod": 100, "reconnectPeriodMax": 4000, "stableAfter": 10000, "pingTimeout": 1000, "ackTimeout": 0, "resendOnNewSession": false, "maxRequests": 4}, "steps": [{"k": "bad-publish", "v": 6}], "randomSeed": 288069850} as Run,
  },
  {
    name: "D10 subscribe coercion / codes",
    found: "step 1 {\"k\":\"subscribe\",\"t\":[0,5],\"q\":1,\"h\":false}: subscribe([{\"topic\":\"a\",\"qos\":1},{\"topic\":\"$sys/#\",\"qos\":1}]): the client threw without a code, the model says -113",
    run: {"options": {"clientId": "m1", "clean": true, "keepalive": 0, "receiveBufferSize": 128, "maxPacketSize": 128, "transmitBufferSize": 128, "controlBufferSize": 46, "inflight": 1, "queueSlots": 2, "subscriptions": 1, "queuePolicy": "drop-oldest", "connectTimeout": 500, "reconnectPeriod": 1000, "reconnectPeriodMax": 4000, "stableAfter": 1000, "pingTimeout": 1000, "ackTimeout": 3000, "resendOnNewSession": true, "maxRequests": 4}, "steps": [{"k": "subscribe", "t": [0, 5], "q": 1, "h": false}], "randomSeed": 1470823976} as Run,
  },
  {
    name: "D7 keepalive blind / no ack bound",
    found: "step 5 {\"k\":\"advance\",\"ms\":4071}: events [], the model says [disconnected 0x102]",
    run: {"options": {"clientId": "m1", "clean": true, "keepalive": 1, "receiveBufferSize": 256, "maxPacketSize": 32, "transmitBufferSize": 40, "controlBufferSize": 300, "inflight": 3, "queueSlots": 4, "subscriptions": 0, "queuePolicy": "drop-newest", "connectTimeout": 500, "reconnectPeriod": 1000, "reconnectPeriodMax": 4000, "stableAfter": 1000, "pingTimeout": 1000, "ackTimeout": 800, "resendOnNewSession": true, "maxRequests": 4}, "steps": [{"k": "publish", "t": 4, "handle": true, "p": 2, "q": 1, "r": false, "bytes": false}, {"k": "drain"}, {"k": "connack", "sp": 0, "rc": 0}, {"k": "drain"}, {"k": "advance", "ms": 4071}], "randomSeed": 1156417211} as Run,
  },
  {
    name: "D1 capacity by age / drop-oldest",
    found: "step 8 {\"k\":\"publish\",\"t\":0,\"handle\":false,\"p\":1,\"q\":2,\"r\":false,\"bytes\":false}: publish(a, \"x\", 2) returned -100, the model accepts it with a packet id",
    run: {"options": {"clientId": "m1", "clean": true, "keepalive": 0, "receiveBufferSize": 128, "maxPacketSize": 128, "transmitBufferSize": 40, "controlBufferSize": 46, "inflight": 8, "queueSlots": 8, "subscriptions": 2, "queuePolicy": "reject", "connectTimeout": 5000, "reconnectPeriod": 10, "reconnectPeriodMax": 4000, "stableAfter": 0, "pingTimeout": 200, "ackTimeout": 3000, "resendOnNewSession": false, "maxRequests": 4}, "steps": [{"k": "publish", "t": 5, "handle": false, "p": 1, "q": 2, "r": false, "bytes": false}, {"k": "drain"}, {"k": "connack", "sp": 0, "rc": 0}, {"k": "publish", "t": 2, "handle": true, "p": 5, "q": 1, "r": false, "bytes": true}, {"k": "drain"}, {"k": "publish", "t": 2, "handle": false, "p": 1, "q": 0, "r": false, "bytes": true}, {"k": "ack", "i": 149, "bad": 0}, {"k": "publish", "t": 0, "handle": false, "p": 1, "q": 2, "r": false, "bytes": false}], "randomSeed": 1013417260} as Run,
  },
  {
    name: "D3 oversized inbound PUBLISH closes",
    found: "step 3 {\"k\":\"burst\",\"n\":62,\"q\":2}: events [message app a a q2 | message app a/b bc q2 | message app c/d/e cde q2 | error 0x95 | disconnected 0x95], the model says [message app a a q2 | message app a/b bc q2 | message app c/d/e cde q2 | message app $sys/x defg q2 | error -111]",
    run: {"options": {"clientId": "m1", "clean": true, "keepalive": 1, "receiveBufferSize": 128, "maxPacketSize": 20, "transmitBufferSize": 40, "controlBufferSize": 46, "inflight": 3, "queueSlots": 8, "subscriptions": 0, "queuePolicy": "drop-oldest", "connectTimeout": 5000, "reconnectPeriod": 10, "reconnectPeriodMax": 4000, "stableAfter": 1000, "pingTimeout": 200, "ackTimeout": 800, "resendOnNewSession": false, "maxRequests": 4}, "steps": [{"k": "drain"}, {"k": "connack", "sp": 0, "rc": 0}, {"k": "burst", "n": 62, "q": 2}], "randomSeed": 1616790775} as Run,
  },
  {
    name: "D10 other publish argument codes",
    found: "step 1 {\"k\":\"bad-publish\",\"v\":15}: publish(\"a\", number, 0, false, undefined, undefined) returned -105, the model says -110",
    run: {"options": {"clientId": "m1", "clean": true, "keepalive": 2, "receiveBufferSize": 48, "maxPacketSize": 32, "transmitBufferSize": 1024, "controlBufferSize": 46, "inflight": 1, "queueSlots": 2, "subscriptions": 1, "queuePolicy": "drop-oldest", "connectTimeout": 500, "reconnectPeriod": 0, "reconnectPeriodMax": 4000, "stableAfter": 10000, "pingTimeout": 200, "ackTimeout": 0, "resendOnNewSession": true, "maxRequests": 4}, "steps": [{"k": "bad-publish", "v": 15}], "randomSeed": 273148687} as Run,
  },
  {
    name: "D8 inbound QoS 2 table withholds PUBREC",
    found: "step 3 {\"k\":\"burst\",\"n\":51,\"q\":2}: events [message app a a q2 | message app a/b bc q2 | message app c/d/e cde q2], the model says [message app a a q2 | message app a/b bc q2 | message app c/d/e cde q2 | message app $sys/x defg q2 | message app a/b/c/d/e/f/g/h/i/j/k/l/m/n efghi q2 | message app é/ü f q2 | message app a gh q2 | message app a/b hij q2 | message app c/d/e ijkl q2 | message app $sys/x jklmn q2 | message app a/b/c/d/e/f/g/h/i/j/k/l/m/n k q2 | message app é/ü lm q2 | message app a mno q2 | message app a/b nopq q2 | message app c/d/e opqrs q2 | message app $sys/x p q2 | message app a/b/c/d/e/f/g/h/i/j/k/l/m/n qr q2 | message app é/ü rst q2 | message app a stuv q2 | message app a/b tuvwx q2 | message app c/d/e u q2 | message app $sys/x vw q2 | message app a/b/c/d/e/f/g/h/i/j/k/l/m/n wxy q2 | message app é/ü xyza q2 | message app a yzabc q2 | message app a/b z q2 | message app c/d/e ab q2 | message app $sys/x bcd q2 | message app a/b/c/d/e/f/g/h/i/j/k/l/m/n cdef q2 | message app é/ü defgh q2 | message app a e q2 | message app a/b fg q2 | message app c/d/e ghi q2 | message app $sys/x hijk q2 | message app a/b/c/d/e/f/g/h/i/j/k/l/m/n ijklm q2 | message app é/ü j q2 | message app a kl q2 | message app a/b lmn q2 | message app c/d/e mnop q2 | message app $sys/x nopqr q2 | message app a/b/c/d/e/f/g/h/i/j/k/l/m/n o q2 | message app é/ü pq q2 | message app a qrs q2 | message app a/b rstu q2 | message app c/d/e stuvw q2 | message app $sys/x t q2 | message app a/b/c/d/e/f/g/h/i/j/k/l/m/n uv q2 | message app é/ü vwx q2 | message app a wxyz q2 | message app a/b xyzab q2 | message app c/d/e y q2]",
    run: {"options": {"clientId": "m1", "clean": true, "keepalive": 0, "receiveBufferSize": 48, "maxPacketSize": 48, "transmitBufferSize": 64, "controlBufferSize": 46, "inflight": 2, "queueSlots": 2, "subscriptions": 1, "queuePolicy": "reject", "connectTimeout": 5000, "reconnectPeriod": 0, "reconnectPeriodMax": 4000, "stableAfter": 1000, "pingTimeout": 1000, "ackTimeout": 3000, "resendOnNewSession": true, "maxRequests": 4}, "steps": [{"k": "drain"}, {"k": "connack", "sp": 0, "rc": 0}, {"k": "burst", "n": 51, "q": 2}], "randomSeed": 1566010202} as Run,
  },
  {
    name: "D9 packets after DISCONNECT / input handled after end()",
    found: "step 4 {\"k\":\"inbound\",\"t\":4,\"q\":1,\"r\":false,\"n\":12,\"dupOf\":61}: events [error 0x95 | disconnected 0x95], the model says [] (after end())",
    run: {"options": {"clientId": "m1", "clean": true, "keepalive": 0, "receiveBufferSize": 128, "maxPacketSize": 40, "transmitBufferSize": 40, "controlBufferSize": 46, "inflight": 8, "queueSlots": 2, "subscriptions": 1, "queuePolicy": "reject", "connectTimeout": 500, "reconnectPeriod": 1000, "reconnectPeriodMax": 4000, "stableAfter": 0, "pingTimeout": 1000, "ackTimeout": 800, "resendOnNewSession": true, "maxRequests": 4}, "steps": [{"k": "take", "n": 40}, {"k": "connack", "sp": 0, "rc": 0}, {"k": "end"}, {"k": "inbound", "t": 4, "q": 1, "r": false, "n": 12, "dupOf": 61}], "randomSeed": 1391180470} as Run,
  },
  {
    name: "D6 filter longer than the control buffer accepted",
    found: "step 1 {\"k\":\"bad-subscribe\",\"v\":9}: subscribe([{\"topic\":\"f/xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...): the client accepted it, the model says -112",
    run: {"options": {"clientId": "m1", "clean": false, "keepalive": 5, "receiveBufferSize": 128, "maxPacketSize": 20, "transmitBufferSize": 128, "controlBufferSize": 46, "inflight": 2, "queueSlots": 3, "subscriptions": 4, "queuePolicy": "drop-newest", "connectTimeout": 5000, "reconnectPeriod": 100, "reconnectPeriodMax": 4000, "stableAfter": 10000, "pingTimeout": 200, "ackTimeout": 3000, "resendOnNewSession": true, "maxRequests": 4}, "steps": [{"k": "bad-subscribe", "v": 9}], "randomSeed": 1855303782} as Run,
  },
  {
    name: "D8 inbound QoS 2 table withholds PUBREC (a message not delivered)",
    found: "step 6 {\"k\":\"inbound\",\"t\":1,\"q\":2,\"r\":false,\"n\":9,\"dupOf\":0}: events [], the model says [message app a/b bcdefghij q2]",
    run: {"options": {"clientId": "m1", "clean": false, "keepalive": 60, "receiveBufferSize": 48, "maxPacketSize": 48, "transmitBufferSize": 40, "controlBufferSize": 46, "inflight": 8, "queueSlots": 4, "subscriptions": 4, "queuePolicy": "drop-newest", "connectTimeout": 500, "reconnectPeriod": 100, "reconnectPeriodMax": 4000, "stableAfter": 0, "pingTimeout": 200, "ackTimeout": 0, "resendOnNewSession": true, "maxRequests": 4}, "steps": [{"k": "drain"}, {"k": "connack", "sp": 0, "rc": 0}, {"k": "inbound", "t": 1, "q": 2, "r": false, "n": 6, "dupOf": 10}, {"k": "inbound", "t": 5, "q": 2, "r": false, "n": 4, "dupOf": 0}, {"k": "inbound", "t": 0, "q": 2, "r": false, "n": 5, "dupOf": 0}, {"k": "inbound", "t": 1, "q": 2, "r": false, "n": 9, "dupOf": 0}], "randomSeed": 151175563} as Run,
  },
  {
    name: "D10 PUBREL resend order",
    found: "step 10 {\"k\":\"drain\"}: PUBREL 1 written, expected none [MQTT-4.6.0-4]",
    run: {"options": {"clientId": "m1", "clean": false, "keepalive": 1, "receiveBufferSize": 256, "maxPacketSize": 256, "transmitBufferSize": 64, "controlBufferSize": 46, "inflight": 8, "queueSlots": 1, "subscriptions": 2, "queuePolicy": "drop-oldest", "connectTimeout": 500, "reconnectPeriod": 1000, "reconnectPeriodMax": 4000, "stableAfter": 1000, "pingTimeout": 200, "ackTimeout": 0, "resendOnNewSession": true, "maxRequests": 4}, "steps": [{"k": "drain"}, {"k": "publish", "t": 4, "handle": false, "p": 1, "q": 2, "r": false, "bytes": true}, {"k": "connack", "sp": 0, "rc": 0}, {"k": "drain"}, {"k": "drop", "n": 0}, {"k": "advance", "ms": 5695}, {"k": "drain"}, {"k": "connack", "sp": 0, "rc": 0}, {"k": "ack", "i": 693, "bad": 0}, {"k": "drain"}], "randomSeed": 1224799878} as Run,
  },
  {
    name: "D4 QoS 2 past PUBREC acked on session loss",
    found: "step 9 {\"k\":\"connack\",\"sp\":0,\"rc\":0}: events [acked 1 | connected 0], the model says [unconfirmed 1 | connected 0]",
    run: {"options": {"clientId": "m1", "clean": true, "keepalive": 1, "receiveBufferSize": 256, "maxPacketSize": 256, "transmitBufferSize": 64, "controlBufferSize": 300, "inflight": 2, "queueSlots": 1, "subscriptions": 4, "queuePolicy": "reject", "connectTimeout": 5000, "reconnectPeriod": 10, "reconnectPeriodMax": 4000, "stableAfter": 0, "pingTimeout": 200, "ackTimeout": 800, "resendOnNewSession": true, "maxRequests": 4}, "steps": [{"k": "drain"}, {"k": "connack", "sp": 0, "rc": 0}, {"k": "publish", "t": 4, "handle": true, "p": 3, "q": 2, "r": false, "bytes": true}, {"k": "drain"}, {"k": "ack", "i": 599, "bad": 0}, {"k": "drop", "n": 23}, {"k": "advance", "ms": 81097}, {"k": "drain"}, {"k": "connack", "sp": 0, "rc": 0}], "randomSeed": 1836996494} as Run,
  },
  {
    name: "D5 SUBACK/UNSUBACK matched by slot",
    found: "step 7 {\"k\":\"suback\",\"i\":32,\"codes\":180,\"bad\":0}: events [error 0x82 | disconnected 0x82], the model says [subscribed c/+/e 0x0 | subscribed a/# 0x1]",
    run: {"options": {"clientId": "m1", "clean": false, "keepalive": 2, "receiveBufferSize": 256, "maxPacketSize": 256, "transmitBufferSize": 1024, "controlBufferSize": 300, "inflight": 8, "queueSlots": 1, "subscriptions": 4, "queuePolicy": "reject", "connectTimeout": 500, "reconnectPeriod": 10, "reconnectPeriodMax": 4000, "stableAfter": 0, "pingTimeout": 1000, "ackTimeout": 0, "resendOnNewSession": false, "maxRequests": 4}, "steps": [{"k": "drain"}, {"k": "connack", "sp": 0, "rc": 0}, {"k": "subscribe", "t": [4, 1], "q": 0, "h": true}, {"k": "drain"}, {"k": "subscribe", "t": [4], "q": 2, "h": true}, {"k": "drain"}, {"k": "suback", "i": 32, "codes": 180, "bad": 0}], "randomSeed": 908839103} as Run,
  },
  {
    name: "an oversized PUBLISH skipped while the ack queue was full waited for ever (found in the reworked client)",
    found: "step 4 {\"k\":\"drain\"}: ack type 5 id 65 owed and not sent",
    run: {"options": {"clientId": "m1", "clean": true, "keepalive": 1, "receiveBufferSize": 128, "maxPacketSize": 20, "transmitBufferSize": 256, "controlBufferSize": 46, "inflight": 8, "queueSlots": 4, "subscriptions": 4, "queuePolicy": "drop-oldest", "connectTimeout": 500, "reconnectPeriod": 10, "reconnectPeriodMax": 4000, "stableAfter": 0, "pingTimeout": 200, "ackTimeout": 0, "resendOnNewSession": true, "maxRequests": 4}, "steps": [{"k": "drain"}, {"k": "connack", "sp": 0, "rc": 0}, {"k": "burst", "n": 65, "q": 2}, {"k": "drain"}], "randomSeed": 808811060} as Run,
  },
  {
    name: "a run shown to a transport that took nothing held its message from drop-oldest (found in the reworked client by the 'take 0' step)",
    found: "step 8 {\"k\":\"drop\",\"n\":7}: stats.dropped 1, the model says 2",
    run: {"options": {"clientId": "m1", "clean": false, "keepalive": 0, "receiveBufferSize": 128, "maxPacketSize": 128, "transmitBufferSize": 128, "controlBufferSize": 46, "inflight": 3, "queueSlots": 3, "subscriptions": 1, "queuePolicy": "drop-oldest", "connectTimeout": 5000, "reconnectPeriod": 10, "reconnectPeriodMax": 4000, "stableAfter": 10000, "pingTimeout": 1000, "ackTimeout": 3000, "resendOnNewSession": true, "maxRequests": 4}, "steps": [{"k": "drain"}, {"k": "connack", "sp": 0, "rc": 0}, {"k": "publish", "t": 2, "handle": true, "p": 2, "q": 1, "r": false, "bytes": false}, {"k": "take", "n": 0}, {"k": "publish", "t": 0, "handle": true, "p": 2, "q": 0, "r": false, "bytes": false}, {"k": "publish", "t": 5, "handle": true, "p": 0, "q": 0, "r": false, "bytes": true}, {"k": "publish", "t": 3, "handle": false, "p": 5, "q": 0, "r": false, "bytes": true}, {"k": "drop", "n": 7}], "randomSeed": 387081257} as Run,
  },
  {
    name: "a PUBACK for a message shown again to a transport that took nothing was a protocol error (found in the reworked client)",
    found: "step 10 {\"k\":\"ack\",\"i\":18,\"bad\":0}: events [error 0x82 | disconnected 0x82], the model says [acked 1]",
    run: {"options": {"clientId": "m1", "clean": false, "keepalive": 5, "receiveBufferSize": 64, "maxPacketSize": 64, "transmitBufferSize": 128, "controlBufferSize": 46, "inflight": 1, "queueSlots": 1, "subscriptions": 2, "queuePolicy": "drop-newest", "connectTimeout": 5000, "reconnectPeriod": 100, "reconnectPeriodMax": 4000, "stableAfter": 10000, "pingTimeout": 1000, "ackTimeout": 800, "resendOnNewSession": true, "maxRequests": 4}, "steps": [{"k": "drain"}, {"k": "publish", "t": 1, "handle": true, "p": 0, "q": 1, "r": false, "bytes": true}, {"k": "connack", "sp": 0, "rc": 0}, {"k": "drain"}, {"k": "ack", "i": 658, "bad": 2}, {"k": "advance", "ms": 303}, {"k": "drain"}, {"k": "connack", "sp": 0, "rc": 0}, {"k": "take", "n": 0}, {"k": "ack", "i": 117, "bad": 0}], "randomSeed": 1628377006} as Run,
  },
  {
    name: "a resumed PUBREL shown to a transport that took nothing went after its PUBCOMP (found in the reworked client)",
    found: "step 12 {\"k\":\"drain\"}: PUBREL 1 written, expected none [MQTT-4.6.0-4]",
    run: {"options": {"clientId": "m1", "clean": false, "keepalive": 0, "receiveBufferSize": 64, "maxPacketSize": 64, "transmitBufferSize": 1024, "controlBufferSize": 46, "inflight": 2, "queueSlots": 8, "subscriptions": 4, "queuePolicy": "drop-newest", "connectTimeout": 500, "reconnectPeriod": 10, "reconnectPeriodMax": 4000, "stableAfter": 0, "pingTimeout": 1000, "ackTimeout": 800, "resendOnNewSession": false, "maxRequests": 4}, "steps": [{"k": "drain"}, {"k": "publish", "t": 4, "handle": true, "p": 0, "q": 2, "r": false, "bytes": true}, {"k": "connack", "sp": 0, "rc": 0}, {"k": "drain"}, {"k": "ack", "i": 31, "bad": 0}, {"k": "drop", "n": 24}, {"k": "advance", "ms": 452}, {"k": "drain"}, {"k": "connack", "sp": 0, "rc": 0}, {"k": "take", "n": 0}, {"k": "ack", "i": 117, "bad": 0}, {"k": "drain"}], "randomSeed": 559341782} as Run,
  },
  {
    name: "a SUBSCRIBE shown to a transport that took nothing went after unsubscribe() (found in the reworked client)",
    found: "step 6 {\"k\":\"drain\"}: SUBSCRIBE carries a/b q2, not a subscription waiting to go",
    run: {"options": {"clientId": "m1", "clean": true, "keepalive": 5, "receiveBufferSize": 64, "maxPacketSize": 64, "transmitBufferSize": 64, "controlBufferSize": 300, "inflight": 8, "queueSlots": 8, "subscriptions": 4, "queuePolicy": "reject", "connectTimeout": 5000, "reconnectPeriod": 10, "reconnectPeriodMax": 4000, "stableAfter": 10000, "pingTimeout": 1000, "ackTimeout": 3000, "resendOnNewSession": true, "maxRequests": 4}, "steps": [{"k": "drain"}, {"k": "connack", "sp": 0, "rc": 0}, {"k": "subscribe", "t": [6], "q": 2, "h": true}, {"k": "take", "n": 0}, {"k": "unsubscribe", "t": [6]}, {"k": "drain"}], "randomSeed": 1120782458} as Run,
  },
  {
    name: "guard: end() lets go a PUBLISH shown to a transport that took nothing (an end() that kept it passed 10,000 random runs)",
    found: "step 6 {\"k\":\"drain\"}: PUBLISH a/b id 0 when none may go (window 0/2, ending true)",
    run: {"options": {"clientId": "m1", "clean": false, "keepalive": 0, "receiveBufferSize": 128, "maxPacketSize": 128, "transmitBufferSize": 256, "controlBufferSize": 46, "inflight": 2, "queueSlots": 4, "subscriptions": 1, "queuePolicy": "reject", "connectTimeout": 5000, "reconnectPeriod": 100, "reconnectPeriodMax": 4000, "stableAfter": 10000, "pingTimeout": 1000, "ackTimeout": 0, "resendOnNewSession": false, "maxRequests": 4}, "steps": [{"k": "drain"}, {"k": "connack", "sp": 0, "rc": 0}, {"k": "publish", "t": 1, "handle": true, "p": 0, "q": 0, "r": false, "bytes": false}, {"k": "take", "n": 0}, {"k": "end"}, {"k": "drain"}], "randomSeed": 1} as Run,
  },
  {
    name: "guard: 5.0: a QoS 2 PUBLISH over our Receive Maximum kept its id, so the broker's resend was taken as a duplicate and never delivered (read in inbound.ts; 45,000 random 5.0 runs did not make this run)",
    found: "step 8 {\"k\":\"inbound\",\"t\":1,\"q\":2,\"r\":false,\"n\":4,\"dupOf\":1}: events [], the model says [message app a/b bcde q2 dup]",
    run: {"options": {"protocolVersion": 5, "sessionExpiryInterval": 4294967295, "receiveMaximum": 1, "clientId": "m1", "clean": false, "keepalive": 0, "receiveBufferSize": 256, "maxPacketSize": 256, "transmitBufferSize": 1024, "controlBufferSize": 300, "inflight": 3, "queueSlots": 4, "subscriptions": 0, "queuePolicy": "reject", "connectTimeout": 5000, "reconnectPeriod": 10, "reconnectPeriodMax": 4000, "stableAfter": 1000, "pingTimeout": 1000, "ackTimeout": 0, "resendOnNewSession": true, "maxRequests": 4}, "steps": [{"k": "drain"}, {"k": "connack", "sp": 0, "rc": 0, "lim": [-1, -1, -1, -1, -1]}, {"k": "inbound", "t": 0, "q": 2, "r": false, "n": 3, "dupOf": 0}, {"k": "inbound", "t": 1, "q": 2, "r": false, "n": 4, "dupOf": 0, "over": true}, {"k": "advance", "ms": 20}, {"k": "drain"}, {"k": "connack", "sp": 0, "rc": 0, "lim": [-1, -1, -1, -1, -1]}, {"k": "inbound", "t": 1, "q": 2, "r": false, "n": 4, "dupOf": 1}, {"k": "drain"}], "randomSeed": 1} as Run,
  },
  {
    name: "5.0: a resumed session sent its PUBLISH again (DUP) beyond the new CONNACK's Receive Maximum (found by the 5.0 model check, seed 50001148, shrunk to 60 steps; this one made by hand)",
    found: "step 11 {\"k\":\"drain\"}: PUBLISH c/d/e id 3 (DUP) when none may go (window 3/2, send quota 0 [MQTT-4.9.0-2], ending false)",
    run: {"options": {"protocolVersion": 5, "sessionExpiryInterval": 4294967295, "receiveMaximum": 64, "clientId": "m1", "clean": false, "keepalive": 0, "receiveBufferSize": 256, "maxPacketSize": 256, "transmitBufferSize": 1024, "controlBufferSize": 300, "inflight": 3, "queueSlots": 4, "subscriptions": 0, "queuePolicy": "reject", "connectTimeout": 5000, "reconnectPeriod": 10, "reconnectPeriodMax": 4000, "stableAfter": 1000, "pingTimeout": 1000, "ackTimeout": 0, "resendOnNewSession": true, "maxRequests": 4}, "steps": [{"k": "publish", "t": 0, "handle": false, "p": 2, "q": 1, "r": false, "bytes": false}, {"k": "publish", "t": 1, "handle": false, "p": 2, "q": 1, "r": false, "bytes": false}, {"k": "publish", "t": 2, "handle": false, "p": 2, "q": 1, "r": false, "bytes": false}, {"k": "drain"}, {"k": "connack", "sp": 0, "rc": 0, "lim": [5, -1, -1, -1, -1]}, {"k": "drain"}, {"k": "drop", "n": 0}, {"k": "advance", "ms": 20}, {"k": "drain"}, {"k": "connack", "sp": 0, "rc": 0, "lim": [2, -1, -1, -1, -1]}, {"k": "drain"}], "randomSeed": 1} as Run,
  },
  {
    name: "5.0: a resumed session sent its PUBLISH again (DUP) over the new CONNACK's Maximum Packet Size (found by the 5.0 model check, seed 50000021; made by hand as the shrunk run)",
    found: "step 8 {\"k\":\"connack\",\"sp\":0,\"rc\":0,\"lim\":[-1,-1,-1,30,-1]}: events [connected 1], the model says [error -117 | unconfirmed 1 | connected 1]",
    run: {"options": {"protocolVersion": 5, "sessionExpiryInterval": 4294967295, "receiveMaximum": 64, "clientId": "m1", "clean": false, "keepalive": 0, "receiveBufferSize": 256, "maxPacketSize": 256, "transmitBufferSize": 1024, "controlBufferSize": 300, "inflight": 3, "queueSlots": 4, "subscriptions": 0, "queuePolicy": "reject", "connectTimeout": 5000, "reconnectPeriod": 10, "reconnectPeriodMax": 4000, "stableAfter": 1000, "pingTimeout": 1000, "ackTimeout": 0, "resendOnNewSession": true, "maxRequests": 4}, "steps": [{"k": "publish", "t": 4, "handle": false, "p": 2, "q": 1, "r": false, "bytes": false}, {"k": "drain"}, {"k": "connack", "sp": 0, "rc": 0, "lim": [-1, -1, -1, -1, -1]}, {"k": "drain"}, {"k": "drop", "n": 0}, {"k": "advance", "ms": 20}, {"k": "drain"}, {"k": "connack", "sp": 0, "rc": 0, "lim": [-1, -1, -1, 30, -1]}, {"k": "drain"}], "randomSeed": 1} as Run,
  },
  {
    name: "5.0: a resumed session sent its QoS 2 PUBLISH again (DUP) above the new CONNACK's Maximum QoS (found by the 5.0 model check on XS, seed 71000014; made by hand)",
    found: "step 8 {\"k\":\"connack\",\"sp\":0,\"rc\":0,\"lim\":[-1,1,-1,-1,-1]}: events [connected 1], the model says [error -115 | unconfirmed 1 | connected 1]",
    run: {"options": {"protocolVersion": 5, "sessionExpiryInterval": 4294967295, "receiveMaximum": 64, "clientId": "m1", "clean": false, "keepalive": 0, "receiveBufferSize": 256, "maxPacketSize": 256, "transmitBufferSize": 1024, "controlBufferSize": 300, "inflight": 3, "queueSlots": 4, "subscriptions": 0, "queuePolicy": "reject", "connectTimeout": 5000, "reconnectPeriod": 10, "reconnectPeriodMax": 4000, "stableAfter": 1000, "pingTimeout": 1000, "ackTimeout": 0, "resendOnNewSession": true, "maxRequests": 4}, "steps": [{"k": "publish", "t": 0, "handle": false, "p": 2, "q": 2, "r": false, "bytes": false}, {"k": "drain"}, {"k": "connack", "sp": 0, "rc": 0, "lim": [-1, -1, -1, -1, -1]}, {"k": "drain"}, {"k": "drop", "n": 0}, {"k": "advance", "ms": 20}, {"k": "drain"}, {"k": "connack", "sp": 0, "rc": 0, "lim": [-1, 1, -1, -1, -1]}, {"k": "drain"}], "randomSeed": 1} as Run,
  },
  {
    name: "5.0: SUBSCRIBE batched over the CONNACK's Maximum Packet Size (found by the 5.0 model check, seed 50000555)",
    found: "step 5 {\"k\":\"drain\"}: SUBSCRIBE of 25 bytes, over the server's Maximum Packet Size 24 [MQTT-3.2.2-15]",
    run: {"options": {"protocolVersion": 5, "sessionExpiryInterval": 4294967295, "receiveMaximum": 64, "clientId": "m1", "clean": false, "keepalive": 2, "receiveBufferSize": 256, "maxPacketSize": 256, "transmitBufferSize": 256, "controlBufferSize": 46, "inflight": 1, "queueSlots": 1, "subscriptions": 4, "queuePolicy": "drop-newest", "connectTimeout": 5000, "reconnectPeriod": 1000, "reconnectPeriodMax": 4000, "stableAfter": 1000, "pingTimeout": 1000, "ackTimeout": 800, "resendOnNewSession": false, "maxRequests": 4}, "steps": [{"k": "subscribe", "t": [4, 6], "q": 2, "h": true}, {"k": "subscribe", "t": [2, 4], "q": 2, "h": false}, {"k": "drain"}, {"k": "connack", "sp": 0, "rc": 0, "lim": [-1, -1, -1, 24, 1]}, {"k": "drain"}], "randomSeed": 2127301208} as Run,
  },
  {
    name: "5.0: a PUBLISH that sets a Topic Alias went over the CONNACK's Maximum Packet Size: publish() checks the size without the alias's three bytes (found by the 5.0 model check with Topic Aliases, seed 50000015, shrunk)",
    found: "step 4 {\"k\":\"take\",\"n\":31}: PUBLISH of 25 bytes, over the server's Maximum Packet Size 24 [MQTT-3.2.2-15]",
    run: {"options":{"protocolVersion":5,"sessionExpiryInterval":0,"receiveMaximum":2,"topicAliasMaximum":3,"topicAliases":4,"clientId":"m1","clean":true,"keepalive":60,"receiveBufferSize":256,"maxPacketSize":20,"transmitBufferSize":128,"controlBufferSize":300,"inflight":2,"queueSlots":4,"subscriptions":2,"queuePolicy":"reject","connectTimeout":5000,"reconnectPeriod":1000,"reconnectPeriodMax":4000,"stableAfter":1000,"pingTimeout":1000,"ackTimeout":800,"resendOnNewSession":false,"maxRequests":4},"steps":[{"k":"drain"},{"k":"connack","sp":0,"rc":0,"lim":[-1,-1,1,24,-1],"tam":10},{"k":"publish","t":5,"handle":true,"p":3,"q":2,"r":false,"bytes":true},{"k":"take","n":31}],"randomSeed":780140960} as Run,
  },
  {
    name: "5.0: a message with a Message Expiry Interval that goes in one write after another message (records adjoining) carries its whole interval, not what is left of it (found by the 5.0 model check with expiry, seed 50000058, shrunk)",
    found: "step 6 {\"k\":\"drain\"}: PUBLISH #1 ($sys/x) with Message Expiry Interval 5, the model says 1",
    run: {"options":{"protocolVersion":5,"sessionExpiryInterval":0,"receiveMaximum":64,"topicAliasMaximum":3,"topicAliases":0,"clientId":"m1","clean":true,"keepalive":1,"receiveBufferSize":64,"maxPacketSize":64,"transmitBufferSize":1024,"controlBufferSize":46,"inflight":1,"queueSlots":3,"subscriptions":2,"queuePolicy":"drop-newest","connectTimeout":500,"reconnectPeriod":100,"reconnectPeriodMax":4000,"stableAfter":1000,"pingTimeout":1000,"ackTimeout":3000,"resendOnNewSession":true,"maxRequests":4},"steps":[{"k":"publish","t":1,"handle":true,"p":3,"q":0,"r":false,"bytes":true},{"k":"drain"},{"k":"connack","sp":0,"rc":0,"lim":[-1,1,-1,-1,-1],"tam":-1},{"k":"publish","t":3,"handle":true,"p":3,"q":0,"r":false,"bytes":true,"exp":5},{"k":"advance","ms":4534},{"k":"drain"}],"randomSeed":136942521} as Run,
  },
  {
    name: "5.0: a message shown to a transport that took none of it (outputLength(), nothing written) escapes poll()'s expiry: its Message Expiry Interval ran out and it is not dropped (found by the 5.0 model check with expiry, seed 50000278, shrunk)",
    found: "step 7 {\"k\":\"advance\",\"ms\":25982}: events [disconnected 0x102], the model says [error -118 | unconfirmed 2 | disconnected 0x102]",
    run: {"options":{"protocolVersion":5,"sessionExpiryInterval":0,"receiveMaximum":2,"topicAliasMaximum":3,"topicAliases":1,"clientId":"m1","clean":true,"keepalive":60,"receiveBufferSize":256,"maxPacketSize":20,"transmitBufferSize":64,"controlBufferSize":46,"inflight":8,"queueSlots":8,"subscriptions":4,"queuePolicy":"drop-newest","connectTimeout":5000,"reconnectPeriod":1000,"reconnectPeriodMax":4000,"stableAfter":1000,"pingTimeout":200,"ackTimeout":800,"resendOnNewSession":true,"maxRequests":4},"steps":[{"k":"drain"},{"k":"publish","t":0,"handle":true,"p":0,"q":1,"r":false,"bytes":false},{"k":"connack","sp":0,"rc":0,"lim":[-1,-1,1,-1,0],"tam":10},{"k":"drain"},{"k":"publish","t":2,"handle":false,"p":1,"q":2,"r":true,"bytes":true,"exp":1},{"k":"take","n":0},{"k":"advance","ms":25982}],"randomSeed":598433072} as Run,
  },
  {
    name: "5.0: an alias-only PUBLISH named another topic: the alias was taken as established when a PUBLISH that set it went whole, though a later PUBLISH already queued set it to another topic (here the one publish() reassigned it for was then dropped, drop-newest); the broker delivers the message on the wrong topic (found by the 5.0 model check with Topic Aliases, seed 50017747, shrunk)",
    found: "step 8 {\"k\":\"drain\"}: PUBLISH #2 ($sys/x) with Topic Alias 1 alone, which the broker has for é/ü: it takes the message as that topic's (§3.3.2.3.4)",
    run: {"options":{"protocolVersion":5,"sessionExpiryInterval":0,"receiveMaximum":3,"topicAliasMaximum":0,"topicAliases":1,"clientId":"m1","clean":true,"keepalive":1,"receiveBufferSize":48,"maxPacketSize":40,"transmitBufferSize":64,"controlBufferSize":300,"inflight":8,"queueSlots":2,"subscriptions":1,"queuePolicy":"drop-newest","connectTimeout":5000,"reconnectPeriod":100,"reconnectPeriodMax":4000,"stableAfter":10000,"pingTimeout":200,"ackTimeout":800,"resendOnNewSession":false,"maxRequests":4},"steps":[{"k":"drain"},{"k":"connack","sp":0,"rc":0,"lim":[-1,-1,-1,-1,-1],"tam":10},{"k":"publish","t":3,"handle":true,"p":5,"q":1,"r":false,"bytes":false},{"k":"publish","t":5,"handle":true,"p":2,"q":0,"r":false,"bytes":true},{"k":"publish","t":3,"handle":true,"p":1,"q":1,"r":false,"bytes":false},{"k":"drain"},{"k":"publish","t":3,"handle":true,"p":5,"q":1,"r":false,"bytes":true},{"k":"drain"}],"randomSeed":1708977819} as Run,
  },
];
