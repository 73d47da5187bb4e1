/**
 * Who runs which device, and when it connects: the fleet's numbers 0 to total - 1 split into shards (one
 * per process, on this machine or others) and each shard over its worker threads, and the paced start
 * times. Pure: the CLI, the workers, the subscriber and the tests share these rules.
 *
 * Shard I of N (I from 1 to N) holds the numbers k with k mod N = I - 1: the shards are disjoint and
 * together hold every number, whatever N is, and each holds total / N give or take one. Within a shard,
 * its j-th device (j = 0, 1, ...) goes to worker j mod W and starts at j / rate seconds after the fleet's
 * start, so the workers' connects interleave at the shard's rate.
 */

export interface Shard {
  /** 1 to count. */
  index: number;
  count: number;
}

/** The whole fleet in one process. */
export const WHOLE: Shard = Object.freeze({ index: 1, count: 1 });

/** The first device id's number: ids are `<board>-<hex of FIRST_ID + k>`, as `npm start` names its boards. */
const FIRST_ID = 0xa1b2c3;

/** The device id of fleet number k on `board` (its name with - for _), as the single-thread simulator names them. */
export function deviceId(board: string, k: number): string {
  return `${board.replace(/_/g, "-")}-${(FIRST_ID + k).toString(16)}`;
}

/** The fleet number of a device id (deviceId()'s inverse), or -1 for an id not of that form. */
export function deviceNumber(id: string): number {
  const hex = /-([0-9a-f]{6,})$/.exec(id);
  if (hex === null) return -1;
  const k = parseInt(hex[1], 16) - FIRST_ID;
  return k >= 0 ? k : -1;
}

/** Whether fleet number k is in `shard`. */
export function inShard(k: number, shard: Shard): boolean {
  return k % shard.count === shard.index - 1;
}

/** How many of the fleet's `total` devices `shard` holds. */
export function shardSize(total: number, shard: Shard): number {
  return shard.index > total ? 0 : Math.floor((total - shard.index) / shard.count) + 1;
}

/** The workers a shard runs: as asked (else one per core), never more than its devices. */
export function workerCount(asked: number | undefined, cores: number, devices: number): number {
  return Math.max(1, Math.min(asked ?? cores, devices));
}

/** One device of a worker: its fleet number and its start, ms after the fleet's start. */
export interface Assigned {
  k: number;
  startMs: number;
}

/** The devices of worker `worker` (0 to workers - 1) in `shard`, in start order, paced at `rate` connects per second over the shard. */
export function assigned(total: number, shard: Shard, workers: number, worker: number, rate: number): Assigned[] {
  const size = shardSize(total, shard);
  const list: Assigned[] = [];
  for (let j = worker; j < size; j += workers) list.push({ k: shard.index - 1 + j * shard.count, startMs: (j / rate) * 1000 });
  return list;
}
