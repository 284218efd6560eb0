/**
 * Terminal colour, only where a person is looking: never when the output is
 * not a TTY or NO_COLOR is set (https://no-color.org), always when
 * FORCE_COLOR is set to anything but 0.
 */
export function colorEnabled(
  stream: { isTTY?: boolean } = process.stdout,
  env: NodeJS.ProcessEnv = process.env,
): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== "") return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== "0") return true;
  return stream.isTTY === true;
}

const CODES = { red: 31, green: 32, yellow: 33, dim: 2, bold: 1 } as const;
export type Color = keyof typeof CODES;

/** `text` in `color` when `on`, else unchanged. */
export function paint(on: boolean, color: Color, text: string): string {
  return on ? `\x1b[${CODES[color]}m${text}\x1b[0m` : text;
}

/** Text without colour codes, for widths and for files. */
export function stripColor(text: string): string {
  return text.replace(/\x1b\[[0-9;]*m/g, "");
}
