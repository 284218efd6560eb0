/**
 * The error a user can fix. natlab prints it as one line,
 * `natlab CMD: what went wrong, what to do`, with no stack trace, and exits
 * with status 2. Anything else that escapes a command is a bug in natlab and
 * prints its stack. Pure code may throw it: it imports nothing.
 */
export class UsageError extends Error {
  override name = "UsageError";
}

/**
 * A failure natlab explains in full (a setup step that failed, with the
 * command and its output; an interrupted setup), not a bug: printed without a
 * stack trace, exit status 1.
 */
export class Failure extends Error {
  override name = "Failure";
}
