/**
 * A set of packet identifiers (1..65,535) as 65,536 bits (8 KiB): add, has and delete are a shift and a
 * mask, whatever the number held. The inbound QoS 2 flow keeps every id from PUBLISH to PUBREL in one
 * [MQTT-4.3.3-2]: MQTT 3.1.1 gives a client no way to tell the broker how many it can hold, so a table
 * of any smaller size can fill, and then it must either withhold PUBREC (which reorders delivery and
 * breaks [MQTT-4.3.3-2]) or forget an id (which can deliver a message twice). 8 KiB is the price of
 * neither.
 */
export class IdSet {
  private readonly bits = new Uint32Array(2048);
  /** Ids held. */
  count = 0;

  has(id: number): boolean {
    return (this.bits[id >>> 5] & (1 << (id & 31))) !== 0;
  }

  /** Adds an id; false if it was there already. */
  add(id: number): boolean {
    const word = id >>> 5;
    const bit = 1 << (id & 31);
    if ((this.bits[word] & bit) !== 0) return false;
    this.bits[word] |= bit;
    this.count++;
    return true;
  }

  delete(id: number): void {
    const word = id >>> 5;
    const bit = 1 << (id & 31);
    if ((this.bits[word] & bit) === 0) return;
    this.bits[word] &= ~bit;
    this.count--;
  }

  clear(): void {
    if (this.count === 0) return;
    this.bits.fill(0);
    this.count = 0;
  }
}
