/**
 * Broker profiles: what a hosted broker needs (address, port, TLS, ALPN, SNI, the form of its user name
 * and password) filled in from a few settings, and the limits it documents, which profile-client.ts
 * holds the composed client to (at start-up, and at the call) so that a broker's refusal is a clear error
 * here rather than a closed connection and a reconnect loop there:
 *
 *   const mqtt = connectProfile(awsIot({ endpoint, clientId: "thing-1", cert, key, ca }), { device, onConnected() { ... } });
 *
 * Each figure cites its source (URLs below, and in the README's "Connect to your broker"). Runs on XS: no
 * Node APIs; the module's tables are frozen. A setting that is missing or malformed is a TypeError that
 * names it (`awsIot settings.cert: ...`), when the profile is made.
 */
import { utf8Length } from "../mqtt/codec/wire.js";
import { checkBroker, type BrokerAddress, type DerBytes } from "./broker.js";
import type { MqttOptions } from "./mqtt.js";
import { ADAFRUIT_LIMITS, AWS_LIMITS, AWS_QUOTAS, AZURE_LIMITS, OPEN_LIMITS, type ProfileLimits } from "./profile-limits.js";

export type { ProfileLimits } from "./profile-limits.js";

/** What a profile sets: the broker and its credentials (fixed), and defaults the app may change within the limits. */
export type ProfileOptions = Pick<
  MqttOptions,
  "host" | "port" | "tls" | "ca" | "serverName" | "cert" | "key" | "ALPNProtocols" | "username" | "password" | "clientId" | "keepalive" | "reconnectPeriod" | "reconnectPeriodMax"
>;

/** A broker's profile: the options it sets and the limits it brings. */
export interface Profile {
  /** The broker, for the words: "AWS IoT Core". */
  readonly broker: string;
  /** The profile function that made it: "awsIot". */
  readonly name: string;
  readonly options: Readonly<ProfileOptions>;
  /** The options the app may not give (they come from the settings); the others in `options` are defaults. */
  readonly fixed: readonly string[];
  readonly limits: ProfileLimits;
}

/** The options that say where and who the broker is: always from a profile's settings. */
const CONNECTION = Object.freeze(["host", "port", "tls", "ca", "serverName", "cert", "key", "ALPNProtocols", "websocket", "username", "password"]);
const WITH_CLIENT_ID = Object.freeze([...CONNECTION, "clientId"]);
/** AWS IoT Core on 443 with a client certificate: "x-amzn-mqtt-ca" in the ClientHello's ALPN (https://docs.aws.amazon.com/iot/latest/developerguide/protocols.html). */
const AWS_ALPN = Object.freeze(["x-amzn-mqtt-ca"]);
/** Azure IoT Hub's user name: `{hub host}/{device id}/?api-version=2021-04-12` (https://learn.microsoft.com/en-us/azure/iot/iot-mqtt-connect-to-iot-hub). */
export const AZURE_API_VERSION = "2021-04-12";
/** Home Assistant's own users of the add-on (https://github.com/home-assistant/addons/blob/master/mosquitto/DOCS.md). */
const HA_RESERVED = Object.freeze(["homeassistant", "addons"]);

function settingsOf(name: string, settings: unknown): Record<string, unknown> {
  if (settings === null || typeof settings !== "object") throw new TypeError(`${name}: settings, an object (see the README's "Connect to your broker")`);
  return settings as Record<string, unknown>;
}

function text(name: string, settings: Record<string, unknown>, key: string, what: string): string {
  const value = settings[key];
  if (typeof value !== "string" || value.length === 0) {
    throw new TypeError(`${name} settings.${key}: ${value === undefined ? "required" : "a non-empty string"}: ${what}`);
  }
  return value;
}

function optionalFlag(name: string, settings: Record<string, unknown>, key: string): boolean | undefined {
  const value = settings[key];
  if (value !== undefined && typeof value !== "boolean") throw new TypeError(`${name} settings.${key}: true or false`);
  return value as boolean | undefined;
}

function portOf(name: string, settings: Record<string, unknown>, fallback: number, allowed?: readonly number[]): number {
  const port = settings.port ?? fallback;
  if (typeof port !== "number" || !Number.isInteger(port) || port < 1 || port > 65535 || (allowed !== undefined && allowed.indexOf(port) < 0)) {
    throw new TypeError(`${name} settings.port: ${allowed ? allowed.join(" or ") : "an integer 1-65535"}, not ${String(port)}`);
  }
  return port;
}

/** Checks the TLS settings as the client will (DER, RSA PKCS#8), naming them as the profile's settings. */
function checkTls(name: string, options: ProfileOptions): void {
  const broker: BrokerAddress = { host: options.host!, port: options.port!, tls: options.tls, ca: options.ca, serverName: options.serverName, cert: options.cert, key: options.key, ALPNProtocols: options.ALPNProtocols };
  checkBroker(broker, `${name} settings`);
}

function make(broker: string, name: string, options: ProfileOptions, fixed: readonly string[], limits: ProfileLimits): Profile {
  for (const key of Object.keys(options)) if ((options as Record<string, unknown>)[key] === undefined) delete (options as Record<string, unknown>)[key];
  checkTls(name, options);
  return Object.freeze({ broker, name, options: Object.freeze(options), fixed, limits });
}

/** AWS IoT Core's settings. */
export interface AwsIotSettings {
  /** The account's device data endpoint, e.g. "a1b2c3d4e5f6g7-ats.iot.eu-west-1.amazonaws.com" (`aws iot describe-endpoint --endpoint-type iot:Data-ATS`). */
  endpoint: string;
  /** The client ID, 1-128 bytes, usually the thing's name (its policy may require it). */
  clientId: string;
  /** The device's certificate (DER) and its RSA key (PKCS#8 DER): AWS IoT Core authenticates MQTT devices by them. */
  cert: DerBytes | DerBytes[];
  key: DerBytes;
  /** Amazon Root CA 1 (DER), https://www.amazontrust.com/repository/AmazonRootCA1.pem converted to DER; else the device's store. */
  ca?: DerBytes;
  /** 8883 (default), or 443 with ALPN "x-amzn-mqtt-ca" where 8883 is blocked. */
  port?: 8883 | 443;
}

/**
 * AWS IoT Core over MQTT with the device's X.509 certificate: TLS to `endpoint` (which is also the SNI
 * name, which AWS requires on 443), port 8883 or 443 (then ALPN "x-amzn-mqtt-ca",
 * https://docs.aws.amazon.com/iot/latest/developerguide/protocols.html), keepalive 60 s, reconnect from 2 s.
 * @throws TypeError naming a missing or malformed setting (no cert or key: AWS IoT Core would refuse the handshake)
 */
export function awsIot(settings: AwsIotSettings): Profile {
  const name = "awsIot";
  const s = settingsOf(name, settings);
  const endpoint = text(name, s, "endpoint", "the account's device data endpoint, e.g. a1b2c3d4e5f6g7-ats.iot.eu-west-1.amazonaws.com");
  const clientId = text(name, s, "clientId", "the client ID, usually the thing's name (1-128 bytes)");
  const size = utf8Length(clientId);
  if (size < 1 || size > 128) throw new TypeError(`${name} settings.clientId: 1-128 bytes of UTF-8 (AWS IoT Core's limit, ${AWS_QUOTAS}), not ${size}`);
  for (const key of ["cert", "key"]) {
    if (s[key] === undefined) throw new TypeError(`${name} settings.${key}: required: AWS IoT Core authenticates an MQTT device by its X.509 certificate (cert, DER) and key (RSA PKCS#8 DER)`);
  }
  const port = portOf(name, s, 8883, [8883, 443]);
  const options: ProfileOptions = {
    host: endpoint,
    port,
    tls: true,
    ca: s.ca as DerBytes | undefined,
    serverName: endpoint,
    cert: s.cert as DerBytes,
    key: s.key as DerBytes,
    ALPNProtocols: port === 443 ? (AWS_ALPN as string[]) : undefined,
    clientId,
    keepalive: 60,
    reconnectPeriod: 2000,
  };
  return make("AWS IoT Core", name, options, WITH_CLIENT_ID, AWS_LIMITS);
}

/** Azure IoT Hub's settings: a device identity with a SAS token, or with an X.509 certificate and key. */
export interface AzureIotHubSettings {
  /** The hub: its name ("contoso") or host name ("contoso.azure-devices.net"). */
  hub: string;
  /** The device ID, which is also the client ID. */
  deviceId: string;
  /** A device SAS token, "SharedAccessSignature sr=...&sig=...&se=..." (e.g. `az iot hub generate-sas-token`): the password. */
  sasToken?: string;
  /** Or X.509 authentication: the device's certificate and key (DER), with no password. */
  cert?: DerBytes | DerBytes[];
  key?: DerBytes;
  /** The CA that signs the hub's certificate (DigiCert Global Root G2), DER; else the device's store. */
  ca?: DerBytes;
}

/**
 * Azure IoT Hub, MQTT 3.1.1 over TLS on 8883: client ID the device ID, user name
 * `{hub host}/{device id}/?api-version=2021-04-12`, password the SAS token (https://learn.microsoft.com/en-us/azure/iot/iot-mqtt-connect-to-iot-hub).
 * @throws TypeError naming a missing or malformed setting
 */
export function azureIotHub(settings: AzureIotHubSettings): Profile {
  const name = "azureIotHub";
  const s = settingsOf(name, settings);
  const hub = text(name, s, "hub", 'the hub\'s name ("contoso") or host name ("contoso.azure-devices.net")');
  const host = hub.indexOf(".") >= 0 ? hub : hub + ".azure-devices.net";
  const deviceId = text(name, s, "deviceId", "the device's ID in the hub's identity registry");
  // Azure device IDs: up to 128 ASCII letters, digits and - . % _ * ? ! ( ) , : = @ $ '
  // (https://learn.microsoft.com/en-us/azure/iot-hub/iot-hub-devguide-identity-registry). A literal here, not a
  // module-level const: see net/connection.ts's open() (a preloaded RegExp on Moddable SDK 8.2.3).
  if (!/^[A-Za-z0-9\-.%_*?!(),:=@$']{1,128}$/.test(deviceId)) throw new TypeError(`${name} settings.deviceId: up to 128 ASCII letters, digits and - . % _ * ? ! ( ) , : = @ $ ' (Azure's rule), not ${JSON.stringify(deviceId)}`);
  const token = s.sasToken;
  const x509 = s.cert !== undefined || s.key !== undefined;
  if (token === undefined && !x509) throw new TypeError(`${name} settings.sasToken: required (or cert and key): the device's SAS token, "SharedAccessSignature sr=...&sig=...&se=..."`);
  if (token !== undefined && x509) throw new TypeError(`${name} settings.sasToken: give a SAS token or cert and key, not both`);
  if (token !== undefined && (typeof token !== "string" || token.indexOf("SharedAccessSignature ") !== 0 || !/[ &]sig=/.test(token) || !/[ &]se=/.test(token) || !/[ &]sr=/.test(token))) {
    throw new TypeError(`${name} settings.sasToken: a SAS token, "SharedAccessSignature sr={resource}&sig={signature}&se={expiry}" (not the device key or a connection string)`);
  }
  if (token !== undefined) checkExpiry(name, token as string);
  const options: ProfileOptions = {
    host,
    port: 8883,
    tls: true,
    ca: s.ca as DerBytes | undefined,
    serverName: host,
    cert: s.cert as DerBytes | undefined,
    key: s.key as DerBytes | undefined,
    username: `${host}/${deviceId}/?api-version=${AZURE_API_VERSION}`,
    password: token as string | undefined,
    clientId: deviceId,
    keepalive: 60,
  };
  return make("Azure IoT Hub", name, options, WITH_CLIENT_ID, AZURE_LIMITS);
}

/** Milliseconds since 1970 before which the clock is taken as never set (a board without SNTP starts at 1970). */
const CLOCK_SET = 1_600_000_000_000;

/** A SAS token past its expiry (`se`, seconds since 1970) is refused by the hub on every attempt: refused here, if the clock is set. */
function checkExpiry(name: string, token: string): void {
  const match = /[ &]se=(\d+)/.exec(token);
  const now = Date.now();
  if (match === null || now < CLOCK_SET) return;
  const expiry = Number(match[1]) * 1000;
  if (expiry <= now) throw new TypeError(`${name} settings.sasToken: expired at ${new Date(expiry).toISOString()} (se=${match[1]}): make a new one`);
}

/** User name and password brokers: HiveMQ Cloud, Adafruit IO, the Home Assistant Mosquitto add-on. */
function credentials(name: string, s: Record<string, unknown>, user: string, secret: string, what: string): [string, string] {
  return [text(name, s, user, `the ${what} user name`), text(name, s, secret, `the ${what} password`)];
}

/**
 * HiveMQ Cloud (a cluster's host name, e.g. "abc123.s1.eu.hivemq.cloud"): TLS on 8883 with the SNI name
 * (always sent), and the credentials made in the cluster's Access Management (no anonymous access). The
 * server certificate is Let's Encrypt's: `ca` is ISRG Root X1, DER
 * (https://community.hivemq.com/t/frequently-asked-questions-hivemq-cloud/514).
 * @throws TypeError naming a missing setting
 */
export function hivemqCloud(settings: { host: string; username: string; password: string; ca?: DerBytes }): Profile {
  const name = "hivemqCloud";
  const s = settingsOf(name, settings);
  const host = text(name, s, "host", "the cluster's host name, e.g. abc123.s1.eu.hivemq.cloud");
  const [username, password] = credentials(name, s, "username", "password", "cluster's");
  const options: ProfileOptions = { host, port: 8883, tls: true, ca: s.ca as DerBytes | undefined, serverName: host, username, password, keepalive: 60 };
  return make("HiveMQ Cloud", name, options, CONNECTION, OPEN_LIMITS);
}

/**
 * Adafruit IO: io.adafruit.com, TLS on 8883 (or 1883 with `tls: false`), user name the Adafruit IO user
 * name, password the Adafruit IO key (https://io.adafruit.com/api/docs/mqtt.html); reconnect from 20 s,
 * at most 2 minutes (profile-limits.ts ADAFRUIT_LIMITS says why).
 * @throws TypeError naming a missing setting
 */
export function adafruitIo(settings: { username: string; key: string; tls?: boolean; ca?: DerBytes }): Profile {
  const name = "adafruitIo";
  const s = settingsOf(name, settings);
  const [username, key] = credentials(name, s, "username", "key", "Adafruit IO");
  const tls = optionalFlag(name, s, "tls") ?? true;
  const host = "io.adafruit.com";
  const options: ProfileOptions = {
    host,
    port: tls ? 8883 : 1883,
    tls,
    ca: tls ? (s.ca as DerBytes | undefined) : undefined,
    serverName: tls ? host : undefined,
    username,
    password: key,
    keepalive: 60,
    reconnectPeriod: 20_000,
    reconnectPeriodMax: 120_000,
  };
  return make("Adafruit IO", name, options, CONNECTION, ADAFRUIT_LIMITS);
}

/**
 * The Home Assistant Mosquitto add-on: `host` (e.g. "homeassistant.local"), port 1883, or 8883 with
 * `tls` (the add-on's certfile and keyfile set), a user of Home Assistant or of the add-on's `logins`, not
 * "homeassistant" or "addons" (reserved); no anonymous logins
 * (https://github.com/home-assistant/addons/blob/master/mosquitto/DOCS.md).
 * @throws TypeError naming a missing setting or a reserved user name
 */
export function homeAssistant(settings: { host: string; username: string; password: string; tls?: boolean; ca?: DerBytes; port?: number }): Profile {
  const name = "homeAssistant";
  const s = settingsOf(name, settings);
  const host = text(name, s, "host", "the Home Assistant host, e.g. homeassistant.local or its IPv4 address");
  const [username, password] = credentials(name, s, "username", "password", "Home Assistant (or add-on login)");
  if (HA_RESERVED.indexOf(username) >= 0) throw new TypeError(`${name} settings.username: "${username}" is reserved by Home Assistant for its own use: create a user of your own`);
  const tls = optionalFlag(name, s, "tls") ?? false;
  const options: ProfileOptions = { host, port: portOf(name, s, tls ? 8883 : 1883), tls, ca: tls ? (s.ca as DerBytes | undefined) : undefined, username, password, keepalive: 60 };
  if (!tls && s.ca !== undefined) throw new TypeError(`${name} settings.ca: only with tls: true`);
  return make("Home Assistant Mosquitto add-on", name, options, CONNECTION, OPEN_LIMITS);
}
