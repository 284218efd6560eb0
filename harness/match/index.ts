/** harness/match: expected packets against captures, with don't-care masks and readable diffs. */
export {
  type CaptureMatch,
  type Count,
  countHolds,
  type Frame,
  matchCapture,
  onlyCheck,
  parseCount,
  showCount,
  type Unexpected,
} from "./capture.ts";
export { type FlowFailure, formatDiff, formatFlowFailure, formatUnexpected, indent } from "./format.ts";
export { isNoise } from "./noise.ts";
export { type FieldDiff, layerPaths, matchPacket, type PacketMatch, problemPath } from "./packet.ts";
export { fieldKind, sameValue, showValue } from "./values.ts";
