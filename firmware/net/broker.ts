/**
 * The broker's address and, over TLS, what the handshake sends and checks (the CA, the server name, our
 * certificate and key for mutual TLS, ALPN), checked once at set-up with a TypeError that names the option.
 */
/**
 * DER bytes, as the SDK's TLS takes certificates and keys: an ArrayBuffer, a view of one, or a Resource
 * from the manifest's resources (a host buffer: `new Resource("device.der")`, cast to ArrayBuffer).
 */
export type DerBytes = ArrayBuffer | ArrayBufferView;

/**
 * The broker, and over TLS what the handshake sends and checks. The names are MQTT.js's (Node tls's) where
 * it has one: `ca`, `cert`, `key`, `ALPNProtocols`; `serverName` is ours (Node's is `servername`). Each goes
 * into the SDK TLS socket's `secure` options (device.ts TLSOptions): ca as `certificate`, serverName as
 * `serverName` (and `host`), cert as `clientCertificates`, key as `clientKey`, ALPNProtocols as
 * `applicationLayerProtocolNegotiation`. checkBroker() refuses a bad one with a TypeError naming it.
 */
export interface BrokerAddress {
  /** A host name or an IPv4 address. */
  host: string;
  port: number;
  /** Use TLS (mqtts); the broker's certificate is checked against `ca` (or the device's store) and `serverName`. */
  tls?: boolean;
  /** The CA certificate that must sign the broker's, DER (as the device's TLS takes it: PEM text fails there). */
  ca?: DerBytes;
  /**
   * The name sent in SNI and that the broker's certificate must carry; default `host`. The server name is
   * always sent: this, else the host (the SDK sends an IPv4 host too; Node, and so the simulator, does not).
   */
  serverName?: string;
  /**
   * Mutual TLS: our certificate, DER, or our certificate and its intermediates (leaf first). Needs `key`.
   * Sent only when the broker asks for one.
   */
  cert?: DerBytes | DerBytes[];
  /**
   * Mutual TLS: the private key of `cert`, an RSA key in unencrypted PKCS#8 DER (the only kind the SDK's
   * TLS signs with): `openssl pkcs8 -topk8 -nocrypt -in key.pem -outform DER -out key.der`.
   */
  key?: DerBytes;
  /** ALPN: the protocols offered, most preferred first, e.g. ["mqtt"] (AWS IoT on 443: ["x-amzn-mqtt-ca"]). */
  ALPNProtocols?: string[];
  /**
   * MQTT over WebSockets (ws://, or wss:// with tls): the path of the HTTP Upgrade, e.g. "/mqtt"
   * (firmware/net/ws/). Absent: MQTT straight over TCP or TLS.
   */
  websocket?: string;
}

/** A view of DER bytes (an ArrayBuffer, a view, or a host buffer such as a Resource); null if not bytes. */
function derView(value: unknown): Uint8Array | null {
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  // A Resource is a host buffer: no ArrayBuffer, but it has a byteLength and a Uint8Array can view it (XS).
  if (value !== null && typeof value === "object" && typeof (value as { byteLength?: unknown }).byteLength === "number") {
    try {
      return new Uint8Array(value as ArrayBuffer);
    } catch {
      return null;
    }
  }
  return null;
}

/** Checks DER bytes: a non-empty buffer that starts as DER does (a SEQUENCE), so PEM text is caught here. */
function checkDer(value: unknown, name: string, what: string): Uint8Array {
  const bytes = derView(value);
  if (bytes === null) throw new TypeError(`${name}: ${what} in DER, as an ArrayBuffer, a Uint8Array or a Resource`);
  if (bytes.length === 0) throw new TypeError(`${name}: empty (${what} in DER expected)`);
  if (bytes[0] !== 0x30) {
    const pem = bytes[0] === 0x2d; // "-----BEGIN"
    throw new TypeError(`${name}: not DER${pem ? " (PEM text: the device's TLS takes DER; convert with openssl ... -outform DER)" : ""}: ${what} expected`);
  }
  return bytes;
}

/** rsaEncryption, 1.2.840.113549.1.1.1: in a PKCS#8 RSA key's AlgorithmIdentifier, in its first bytes. */
const RSA_OID = Object.freeze([0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01]);

function isPkcs8Rsa(bytes: Uint8Array): boolean {
  // PrivateKeyInfo: SEQUENCE { INTEGER 0, SEQUENCE { OID rsaEncryption, NULL }, OCTET STRING }: the OID
  // is within the first 32 bytes. A PKCS#1 key ("RSA PRIVATE KEY"), an EC key or an encrypted one has none there.
  const end = bytes.length < 32 ? bytes.length : 32;
  for (let i = 0; i + RSA_OID.length <= end; i++) {
    let j = 0;
    while (j < RSA_OID.length && bytes[i + j] === RSA_OID[j]) j++;
    if (j === RSA_OID.length) return true;
  }
  return false;
}

/**
 * Refuses a bad broker option with a TypeError naming it (`${prefix}.cert`, ...): set-up time only.
 * @param broker - the options
 * @param prefix - what the caller calls them ("options" for the composed client, "broker" for MqttConnection)
 */
export function checkBroker(broker: BrokerAddress, prefix: string): void {
  const tls = broker.tls === true;
  const path = broker.websocket;
  if (path !== undefined && (typeof path !== "string" || path.charCodeAt(0) !== 0x2f || /[\s#]/.test(path))) {
    throw new TypeError(`${prefix}.websocket: the Upgrade's path, starting with "/" (e.g. "/mqtt"), without spaces or #`);
  }
  if (broker.ca !== undefined) checkDer(broker.ca, prefix + ".ca", "the CA certificate");
  if (broker.serverName !== undefined && (typeof broker.serverName !== "string" || broker.serverName.length === 0)) {
    throw new TypeError(`${prefix}.serverName: a non-empty string (the broker's name, for SNI and its certificate)`);
  }
  const cert = broker.cert;
  const key = broker.key;
  const alpn = broker.ALPNProtocols;
  for (const [name, value] of [["cert", cert], ["key", key], ["ALPNProtocols", alpn]] as const) {
    if (value !== undefined && !tls) throw new TypeError(`${prefix}.${name}: only over TLS (an mqtts:// URL, or tls: true)`);
  }
  if (cert !== undefined) {
    if (Array.isArray(cert)) {
      if (cert.length === 0) throw new TypeError(`${prefix}.cert: an empty list (our certificate, then its intermediates)`);
      for (let i = 0; i < cert.length; i++) checkDer(cert[i], `${prefix}.cert[${i}]`, "a certificate");
    } else checkDer(cert, prefix + ".cert", "our certificate");
    if (key === undefined) throw new TypeError(`${prefix}.key: required with cert (the certificate's private key, PKCS#8 DER)`);
  }
  if (key !== undefined) {
    const bytes = checkDer(key, prefix + ".key", "the private key");
    if (!isPkcs8Rsa(bytes)) {
      throw new TypeError(
        `${prefix}.key: not an unencrypted RSA key in PKCS#8 DER, the only kind the device's TLS signs with ` +
          "(openssl pkcs8 -topk8 -nocrypt -in key.pem -outform DER -out key.der)",
      );
    }
    if (cert === undefined) throw new TypeError(`${prefix}.cert: required with key (the certificate the key belongs to, DER)`);
  }
  if (alpn !== undefined) {
    if (!Array.isArray(alpn) || alpn.length === 0) throw new TypeError(`${prefix}.ALPNProtocols: a non-empty array of protocol names, e.g. ["mqtt"]`);
    for (let i = 0; i < alpn.length; i++) {
      const protocol: unknown = alpn[i];
      if (typeof protocol !== "string" || protocol.length === 0 || protocol.length > 255) {
        throw new TypeError(`${prefix}.ALPNProtocols[${i}]: a protocol name of 1 to 255 characters, e.g. "mqtt"`);
      }
    }
  }
}
