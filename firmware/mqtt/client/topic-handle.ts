/** A topic name encoded once (UTF-8, checked): publish with it and the hot path touches no string. */
import { validateTopicName } from "../codec/topic.js";
import { utf8Bytes } from "../codec/wire.js";
import { ClientArgumentError, ClientError } from "./errors.js";

export class TopicHandle {
  readonly bytes: Uint8Array;
  readonly name: string;

  /**
   * Encodes and checks a topic name.
   * @param name - the topic name
   * @throws ClientArgumentError (InvalidTopic) for a name that is not a valid topic name (§4.7)
   */
  constructor(name: string) {
    if (typeof name !== "string") throw new ClientArgumentError(ClientError.InvalidTopic, "a topic name must be a string");
    const bytes = utf8Bytes(name);
    if (bytes === null) throw new ClientArgumentError(ClientError.InvalidTopic, `topic ${JSON.stringify(name)} is not valid UTF-8 [MQTT-1.5.3-1]`);
    const invalid = validateTopicName(bytes, 0, bytes.length);
    if (invalid !== 0) throw new ClientArgumentError(ClientError.InvalidTopic, `topic ${JSON.stringify(name)} is not a valid topic name (${invalid}) [§4.7]`);
    this.bytes = bytes;
    this.name = name;
  }
}
