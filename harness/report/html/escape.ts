/** Text into HTML, SVG and Graphviz HTML-like labels: the five characters that mean markup. */
export function esc(text: unknown): string {
  return String(text).replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c,
  );
}

/** JSON inside a <script> element: "</script" and U+2028/9 cannot end or break it. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, "\\u003c")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}

/** A path relative to the page, as an href (each segment percent-encoded). */
export function href(path: string): string {
  return path.split("/").map(encodeURIComponent).join("/");
}
