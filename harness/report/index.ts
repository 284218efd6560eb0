/** harness/report: console progress, TAP, JUnit and the results directory. */
export { colorEnabled, paint, stripColor } from "../text/color.ts";
export {
  ConsoleReporter,
  type FlowLine,
  formatFlowLine,
  formatLabStart,
  formatSummary,
  type LabStart,
  type Out,
  type RunSummary,
  seconds,
} from "./console.ts";
export { junitFromTap } from "./junit.ts";
export {
  DEFAULT_KEEP,
  devFile,
  type FlowStatus,
  type FlowSummary,
  finishRun,
  inResults,
  labResultsDir,
  latestRun,
  layoutOf,
  listRuns,
  parseKeep,
  type ResultsLayout,
  resultsDir,
  resultsLayout,
  type Summary,
  slug,
  summarize,
  writeReports,
} from "./results.ts";
export { type TapResult, TapWriter } from "./tap.ts";
