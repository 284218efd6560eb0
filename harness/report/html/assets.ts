/**
 * The report's stylesheet and script, inlined into every page so that a
 * report opens from a CI artifact or a mail with nothing fetched.
 */

export const CSS = `
:root { --ok: #15803d; --ko: #b91c1c; --ko-bg: #fee2e2; --ok-bg: #dcfce7; --v6: #2563eb; --v4: #c2410c; --muted: #64748b; --line: #e2e8f0; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", "Liberation Sans", Helvetica, Arial, sans-serif; color: #0f172a; margin: 0; background: #f8fafc; }
header.top { background: #0f172a; color: #f8fafc; padding: 14px 24px; }
header.top h1 { margin: 0 0 4px; font-size: 22px; }
header.top .meta { color: #cbd5e1; font-size: 13px; }
header.top a { color: #93c5fd; }
main { padding: 8px 24px 40px; max-width: 1800px; }
h2 { font-size: 18px; margin: 26px 0 8px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
h3 { font-size: 16px; margin: 0; }
code, pre, .mono { font-family: "DejaVu Sans Mono", "Liberation Mono", Menlo, Consolas, monospace; font-size: 12px; }
pre { white-space: pre-wrap; background: #f1f5f9; padding: 8px 10px; border-radius: 4px; overflow-x: auto; }
a { color: #1d4ed8; }
.pill { display: inline-block; padding: 1px 8px; border-radius: 10px; font-weight: 600; font-size: 12px; }
.pill.pass { background: var(--ok-bg); color: var(--ok); }
.pill.fail { background: var(--ko-bg); color: var(--ko); }
.pill.skip { background: #fef9c3; color: #854d0e; }
.counts span { margin-right: 10px; }
table.toc, table.kv, table.diff, table.index { border-collapse: collapse; margin: 6px 0; }
table.toc td, table.kv td, table.diff td, table.diff th, table.index td, table.index th { padding: 3px 10px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
table.diff th, table.index th { background: #f1f5f9; font-weight: 600; }
table.diff tr.ko td { background: var(--ko-bg); color: var(--ko); font-weight: 600; }
table.diff tr.ok td { color: var(--ok); }
.topology { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 10px; overflow-x: auto; }
.topology svg { max-width: 100%; height: auto; }
section.flow { background: #fff; border: 1px solid var(--line); border-left: 5px solid var(--ok); border-radius: 6px; margin: 16px 0; padding: 12px 16px; }
section.flow.fail { border-left-color: var(--ko); }
section.flow.skip { border-left-color: #ca8a04; }
.flow .why { color: var(--muted); margin: 2px 0 6px; }
.flow .links a { margin-right: 12px; }
ul.expects { list-style: none; padding: 0; margin: 8px 0; }
ul.expects li { padding: 3px 0; }
ul.expects li.ko { color: var(--ko); font-weight: 600; }
ul.expects li.ok .mark { color: var(--ok); font-weight: 700; }
ul.expects li.na { color: var(--muted); }
.failed-expect { border: 2px solid var(--ko); background: #fff5f5; border-radius: 6px; padding: 8px 12px; margin: 8px 0; color: var(--ko); }
.failed-expect h4 { margin: 0 0 4px; }
pre.failure { background: var(--ko-bg); color: #7f1d1d; border-left: 4px solid var(--ko); }
.ladder-wrap { display: flex; gap: 14px; align-items: flex-start; margin-top: 8px; }
@media (max-width: 1100px) { .ladder-wrap { flex-wrap: wrap; } }
.ladder-scroll { overflow: auto; max-height: 640px; border: 1px solid var(--line); border-radius: 4px; background: #fff; flex: 0 1 auto; min-width: 0; }
svg.ladder { font-family: "DejaVu Sans Mono", "Liberation Mono", Menlo, Consolas, monospace; font-size: 12px; display: block; }
svg.ladder .hd { font-weight: 700; fill: #334155; font-family: system-ui, "Liberation Sans", sans-serif; }
svg.ladder .lane { stroke: #94a3b8; stroke-width: 1.5; stroke-dasharray: 4 3; }
svg.ladder .row { fill: transparent; }
svg.ladder g.frame { cursor: pointer; outline: none; }
svg.ladder g.frame:hover .row, svg.ladder g.frame:focus .row { fill: #f1f5f9; }
svg.ladder g.frame.met .row { fill: #f0fdf4; }
svg.ladder g.frame.bad .row { fill: var(--ko-bg); }
svg.ladder g.frame.sel .row { fill: #e0e7ff; }
svg.ladder .arrow { stroke-width: 2; }
svg.ladder .v6 .arrow, svg.ladder .v6 .dot { stroke: var(--v6); fill: var(--v6); }
svg.ladder .v4 .arrow, svg.ladder .v4 .dot { stroke: var(--v4); fill: var(--v4); }
svg.ladder .vx .arrow, svg.ladder .vx .dot { stroke: #64748b; fill: #64748b; }
svg.ladder .noise { opacity: 0.45; }
svg.ladder .t { fill: var(--muted); font-size: 11px; }
svg.ladder .xlat { fill: #7c3aed; font-weight: 700; font-size: 11px; }
svg.ladder .csum { fill: var(--ko); font-size: 10px; font-weight: 700; }
svg.ladder .badge .ok { fill: var(--ok); font-weight: 700; }
svg.ladder .badge .ko { fill: var(--ko); font-weight: 700; }
svg.ladder .bad .sum { fill: var(--ko); }
svg.ladder .num { fill: var(--muted); }
svg.ladder .more { fill: var(--muted); font-style: italic; }
.legend { color: var(--muted); font-size: 12px; margin: 4px 0; }
.legend .v6 { color: var(--v6); font-weight: 700; } .legend .v4 { color: var(--v4); font-weight: 700; }
.frame-detail { flex: 0 0 380px; position: sticky; top: 8px; border: 1px solid var(--line); border-radius: 4px; padding: 8px 10px; background: #fff; max-height: 640px; overflow: auto; }
.frame-detail .hint { color: var(--muted); }
.frame-detail table { border-collapse: collapse; width: 100%; }
.frame-detail td { padding: 1px 6px; border-bottom: 1px solid #f1f5f9; font-family: "DejaVu Sans Mono", "Liberation Mono", monospace; font-size: 12px; word-break: break-all; }
.frame-detail td.layer { background: #f1f5f9; font-weight: 700; font-family: system-ui, sans-serif; }
.frame-detail td:first-child:not(.layer) { white-space: nowrap; word-break: normal; width: 1%; }
.frame-detail .problem { color: var(--ko); font-weight: 600; }
.counters { display: flex; gap: 24px; flex-wrap: wrap; margin-top: 10px; }
.counters h4 { margin: 0 0 2px; font-size: 13px; }
.counters .nz { color: var(--ko); font-weight: 700; }
.muted { color: var(--muted); }
.error-box { border: 2px solid var(--ko); background: var(--ko-bg); color: #7f1d1d; padding: 8px 12px; border-radius: 6px; }
`;

/** Clicking a frame (or a "#3" reference to one) shows its decoded layers beside the ladder. */
export const JS = `
(function () {
  "use strict";
  var cache = {};
  function framesOf(flow) {
    if (!cache[flow]) cache[flow] = JSON.parse(document.getElementById("data-" + flow).textContent);
    return cache[flow];
  }
  function text(tag, s, cls) { var e = document.createElement(tag); e.textContent = s; if (cls) e.className = cls; return e; }
  function show(flow, key) {
    var f = framesOf(flow)[key];
    var box = document.getElementById("detail-" + flow);
    if (!f || !box) return;
    var rows = document.querySelectorAll('g.frame[data-flow="' + flow + '"]');
    for (var i = 0; i < rows.length; i++) rows[i].classList.toggle("sel", rows[i].getAttribute("data-frame") === key);
    box.innerHTML = "";
    box.appendChild(text("h4", f.on + " frame #" + f.index));
    box.appendChild(text("div", f.summary, "mono"));
    for (var m = 0; m < f.marks.length; m++) box.appendChild(text("div", f.marks[m], f.marks[m].charAt(0) === "\\u2713" ? "" : "problem"));
    for (var p = 0; p < f.problems.length; p++) box.appendChild(text("div", f.problems[p], "problem"));
    var table = document.createElement("table");
    f.layers.forEach(function (layer) {
      var name = Object.keys(layer)[0];
      var head = document.createElement("tr");
      var th = text("td", name, "layer"); th.colSpan = 2; head.appendChild(th); table.appendChild(head);
      var fields = layer[name] || {};
      Object.keys(fields).forEach(function (k) {
        var v = fields[k];
        var tr = document.createElement("tr");
        tr.appendChild(text("td", k));
        var shown = typeof v === "number" && /chksum|type|^id$|^tc$|^fl$/.test(k) && v > 9 ? v + " (0x" + v.toString(16) + ")" : typeof v === "object" ? JSON.stringify(v) : String(v);
        tr.appendChild(text("td", shown));
        table.appendChild(tr);
      });
    });
    box.appendChild(table);
  }
  function activate(e) {
    var g = e.target.closest ? e.target.closest("[data-frame]") : null;
    if (!g) return;
    e.preventDefault();
    var flow = g.getAttribute("data-flow");
    var key = g.getAttribute("data-frame");
    show(flow, key);
    if (g.tagName.toLowerCase() === "a") {
      var row = document.querySelector('g.frame[data-flow="' + flow + '"][data-frame="' + key + '"]');
      if (row && row.scrollIntoView) row.scrollIntoView({ block: "center" });
    }
  }
  document.addEventListener("click", activate);
  document.addEventListener("keydown", function (e) { if (e.key === "Enter" || e.key === " ") activate(e); });
})();
`;
