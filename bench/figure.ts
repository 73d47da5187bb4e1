/** One measured figure of `npm run bench`: ours beside a peer's, as a ratio. */
export interface Figure {
  name: string;
  ours: number;
  /** The peer's figure, or null where there is no peer to run (then `reference` may say what stands beside it). */
  peer: number | null;
  peerName: string | null;
  unit: string;
  /** Whether a larger figure is better (rates) or a smaller one (costs). */
  higherIsBetter: boolean;
  /** The target ratio (ours over peer for rates, peer over ours for costs), or an absolute ceiling for costs. */
  target?: number;
  /** An absolute ceiling on `ours` (e.g. computrons per encode). */
  ceiling?: number;
  reference?: string;
  /** Why a target is missed, measured (shown beside the distance when it is). */
  cause?: string;
}

/** How many times better ours is than the peer: above 1 is better, whichever way the unit runs. */
export function ratio(figure: Figure): number | null {
  if (figure.peer === null || figure.peer === 0 || figure.ours === 0) return null;
  return figure.higherIsBetter ? figure.ours / figure.peer : figure.peer / figure.ours;
}
