/**
 * One explanation of a difference between natlab and a reference
 * translator: a named test on one frame (its input and both outputs),
 * written from what the reference is known to do.
 */
import type { Disagreement } from "../differential.ts";

export type { Disagreement };

export interface Explanation {
  id: string;
  /** The reference it is about (a translator name: jool). */
  reference: string;
  /** One line: what the reference does. */
  what: string;
  holds(d: Disagreement): boolean;
}
