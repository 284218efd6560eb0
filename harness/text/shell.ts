/** Words for a POSIX shell: the plan's script and the VM's command line quote with these. */

/** Quotes one word for sh: left bare when it is plainly safe, else in single quotes. */
export function shQuote(word: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** A command line for sh: each word quoted as needed. */
export function shJoin(argv: string[]): string {
  return argv.map(shQuote).join(" ");
}
