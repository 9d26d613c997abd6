"""The HTML report's stylesheet and script, inlined into the page (it must work on air-gapped laptops).

The script never builds markup from data (no innerHTML): it only hides, shows and reorders rows the
server-side renderer already escaped. The page's CSP allows exactly these two blocks, by hash.
"""

from __future__ import annotations

CSS = """
:root{--bg:#fff;--fg:#1d2330;--muted:#5d6675;--line:#dde1e8;--card:#f5f7fa;--accent:#2f5bea;
--live:#c62828;--revoked:#2e7d32;--unknown:#b26a00;--nc:#607d8b;--code:#eef1f5}
@media (prefers-color-scheme:dark){:root{--bg:#12161d;--fg:#e4e8ee;--muted:#9aa4b2;--line:#2b3340;
--card:#1a202a;--accent:#7f9cff;--code:#222a36}}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;
color:var(--fg);background:var(--bg)}
header,main{max-width:1280px;margin:0 auto;padding:16px 24px}
header{border-bottom:1px solid var(--line)}
h1{font-size:22px;margin:0 0 4px}
h2{font-size:16px;margin:24px 0 8px}
.meta{color:var(--muted);font-size:13px}
.warn{background:#fdecea;color:#8a1c1c;border:1px solid #f5c2c0;padding:8px 12px;border-radius:6px;margin:12px 0}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:12px;margin-top:12px}
.card{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:12px}
.card .n{font-size:26px;font-weight:700;line-height:1.1}
.card .l{color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.04em}
.card.live .n{color:var(--live)}
.charts{display:grid;grid-template-columns:2fr 1fr 1fr;gap:12px}
@media (max-width:900px){.charts{grid-template-columns:1fr}}
figure{margin:0;background:var(--card);border:1px solid var(--line);border-radius:8px;padding:12px}
figcaption{font-weight:600;margin-bottom:6px}
svg{width:100%;height:auto;display:block}
svg text{fill:var(--fg);font-size:11px}
svg .axis{stroke:var(--line)}
.empty{color:var(--muted);font-style:italic}
.controls{display:flex;flex-wrap:wrap;gap:8px;align-items:center;margin:8px 0}
.controls input,.controls select{font:inherit;padding:5px 8px;border:1px solid var(--line);border-radius:6px;
background:var(--bg);color:var(--fg)}
.controls input{min-width:280px}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;vertical-align:top;padding:6px 8px;border-bottom:1px solid var(--line)}
th button{font:inherit;font-weight:600;background:none;border:0;color:var(--fg);cursor:pointer;padding:0}
th[aria-sort=ascending] button::after{content:" \\25B2"}
th[aria-sort=descending] button::after{content:" \\25BC"}
code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px}
code{background:var(--code);padding:1px 4px;border-radius:4px;word-break:break-all}
pre{white-space:pre-wrap;margin:6px 0 0;background:var(--code);padding:8px;border-radius:6px}
.path{overflow-wrap:anywhere;min-width:220px}
td.key{min-width:190px}td.key code{white-space:nowrap;word-break:normal}
td .small{overflow-wrap:anywhere}
td.rule{min-width:180px}td.rule code{word-break:normal;overflow-wrap:anywhere}
.scroll{overflow-x:auto}
td.fix{min-width:170px}
th.c-verdict{width:90px}th.c-severity{width:80px}th.c-location{width:26%}th.c-introduced{width:160px}
th.c-occurrences{width:70px}
.snip{display:block;margin-top:4px;color:var(--muted)}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;font-weight:600;color:#fff}
.v-live{background:var(--live)}.v-revoked{background:var(--revoked)}.v-unknown{background:var(--unknown)}
.v-not-checked{background:var(--nc)}
.sev{font-size:12px;text-transform:uppercase;color:var(--muted)}
.small{font-size:12px;color:var(--muted)}
details summary{cursor:pointer}
tr[hidden]{display:none}
footer{max-width:1280px;margin:0 auto;padding:16px 24px;color:var(--muted);font-size:12px}
@media print{.controls{display:none}}
"""

JS = """
(function () {
  "use strict";
  var table = document.getElementById("findings");
  if (!table || !table.tBodies.length) { return; }
  var tbody = table.tBodies[0];
  var rows = Array.prototype.slice.call(tbody.querySelectorAll("tr.finding"));
  var search = rows.map(function (tr) { return tr.textContent.toLowerCase(); });
  var q = document.getElementById("q");
  var rule = document.getElementById("f-rule");
  var verdict = document.getElementById("f-verdict");
  var shown = document.getElementById("shown");
  var none = document.getElementById("no-match");

  function applyFilter() {
    var text = q.value.trim().toLowerCase();
    var r = rule.value;
    var v = verdict.value;
    var n = 0;
    rows.forEach(function (tr, i) {
      var ok = (!r || tr.getAttribute("data-rule") === r) &&
               (!v || tr.getAttribute("data-verdict") === v) &&
               (!text || search[i].indexOf(text) !== -1);
      tr.hidden = !ok;
      if (ok) { n += 1; }
    });
    shown.textContent = String(n);
    if (none) { none.hidden = n !== 0; }
  }

  function sortBy(th, index) {
    var numeric = th.getAttribute("data-type") === "number";
    var asc = th.getAttribute("aria-sort") !== "ascending";
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (c) { c.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", asc ? "ascending" : "descending");
    var keyed = rows.map(function (tr, i) {
      var raw = tr.cells[index].getAttribute("data-sort") || "";
      return { tr: tr, i: i, k: numeric ? parseFloat(raw) || 0 : raw.toLowerCase() };
    });
    keyed.sort(function (a, b) {
      if (a.k < b.k) { return asc ? -1 : 1; }
      if (a.k > b.k) { return asc ? 1 : -1; }
      return a.i - b.i;
    });
    keyed.forEach(function (e) { tbody.appendChild(e.tr); });
    if (none) { tbody.appendChild(none); }
  }

  Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, index) {
    var button = th.querySelector("button");
    if (button) { button.addEventListener("click", function () { sortBy(th, index); }); }
  });
  [q, rule, verdict].forEach(function (el) {
    el.addEventListener("input", applyFilter);
    el.addEventListener("change", applyFilter);
  });
  applyFilter();
})();
"""
