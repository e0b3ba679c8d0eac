/**
 * The console's stylesheet and script, served from /console/assets with a content hash in the URL.
 * No framework and no CDN: the pages are server-rendered and work without the script; it adds copy
 * buttons and confirmations here, and the bucket pages' part (assets-objects.ts).
 */
import { OBJECTS_CSS, OBJECTS_JS } from './assets-objects.ts';

const BASE_CSS = `
:root{--fg:#1b1f24;--muted:#57606a;--bg:#fff;--soft:#f4f6f8;--line:#d0d7de;--accent:#0b5cad;--accent-fg:#fff;--bad:#b42318;--ok:#1a7f37;--warn:#9a6700}
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
a{color:var(--accent)}
:focus-visible{outline:3px solid #f59e0b;outline-offset:2px}
.skip{position:absolute;left:-999px}.skip:focus{left:8px;top:8px;background:#fff;padding:8px;z-index:9}
header{background:#0d2a4a;color:#fff}
header .bar{display:flex;flex-wrap:wrap;align-items:center;gap:8px 16px;max-width:1100px;margin:0 auto;padding:10px 16px}
header .brand{font-weight:700;font-size:1.1rem;color:#fff;text-decoration:none;margin-right:auto}
header nav ul{display:flex;flex-wrap:wrap;gap:4px;list-style:none;margin:0;padding:0}
header nav a{color:#dbe9f7;text-decoration:none;padding:6px 10px;border-radius:6px;display:inline-block}
header nav a[aria-current=page],header nav a:hover{background:#1d4b7a;color:#fff}
header form{margin:0}
main{max-width:1100px;margin:0 auto;padding:16px}
h1{font-size:1.5rem;margin:8px 0 16px}h2{font-size:1.15rem;margin:24px 0 8px}
.muted{color:var(--muted)}.small{font-size:.875rem}
.card{border:1px solid var(--line);border-radius:10px;padding:16px;margin:12px 0;background:#fff}
.grid{display:grid;gap:12px;grid-template-columns:repeat(auto-fit,minmax(220px,1fr))}
.flash{padding:12px 14px;border-radius:8px;margin:12px 0;border:1px solid}
.flash.error{background:#fdecea;border-color:#f5b5ae;color:var(--bad)}
.flash.ok{background:#e9f7ee;border-color:#a6dcb6;color:var(--ok)}
.flash.secret{background:#fff8e1;border-color:#f2d27a;color:#4d3800}
label{display:block;font-weight:600;margin:10px 0 4px}
input[type=text],input[type=email],input[type=password],input[type=number],select,textarea{width:100%;max-width:560px;padding:9px 10px;border:1px solid var(--line);border-radius:6px;font:inherit;background:#fff}
textarea{min-height:120px;font-family:ui-monospace,monospace;font-size:.85rem}
fieldset{border:1px solid var(--line);border-radius:8px;padding:8px 12px;margin:10px 0}
fieldset label{display:inline-flex;gap:6px;align-items:center;font-weight:400;margin:4px 12px 4px 0}
.hint{font-size:.875rem;color:var(--muted);margin:4px 0}
button,.button{display:inline-block;padding:9px 14px;border-radius:6px;border:1px solid var(--accent);background:var(--accent);color:var(--accent-fg);font:inherit;cursor:pointer;text-decoration:none;min-height:40px}
button.secondary,.button.secondary{background:#fff;color:var(--accent)}
button.danger{background:var(--bad);border-color:var(--bad)}
button.link{background:none;border:none;color:var(--accent);padding:4px;text-decoration:underline;min-height:0}
.actions{display:flex;flex-wrap:wrap;gap:8px;align-items:center}
.actions select,.actions input{width:auto}
.inline{display:inline}
table{width:100%;border-collapse:collapse}
th,td{text-align:left;padding:8px;border-bottom:1px solid var(--line);vertical-align:top}
th{font-size:.875rem;color:var(--muted);font-weight:600}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:.875rem;word-break:break-all}
.pill{display:inline-block;padding:1px 8px;border-radius:999px;font-size:.8rem;border:1px solid var(--line);background:var(--soft)}
.pill.public{background:#fff4e5;border-color:#f2c27a}.pill.ok{background:#e9f7ee;border-color:#a6dcb6}
.pill.bad{background:#fdecea;border-color:#f5b5ae}
.quota meter{width:100%;height:14px}
.crumbs{display:flex;flex-wrap:wrap;gap:4px;list-style:none;padding:0;margin:0 0 8px}
.crumbs li+li::before{content:"/";margin-right:4px;color:var(--muted)}
.drop{border:2px dashed var(--line);border-radius:10px;padding:20px;text-align:center;background:var(--soft)}
.drop.over{border-color:var(--accent);background:#e8f1fb}
.visually-hidden{position:absolute!important;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
.uploads{list-style:none;padding:0;margin:12px 0 0;text-align:left}
.uploads li{display:grid;grid-template-columns:1fr auto;gap:4px 12px;padding:8px 0;border-bottom:1px solid var(--line)}
.uploads progress{grid-column:1/3;width:100%;height:14px}
.chart{width:100%;height:auto;max-height:240px}
.chart text{font-size:11px;fill:var(--muted)}.chart .bar{fill:var(--accent)}.chart .bar2{fill:#f59e0b}
.secret-box{display:flex;flex-wrap:wrap;gap:8px;align-items:center;margin:6px 0}
.secret-box code{background:#fff;padding:6px 8px;border:1px solid var(--line);border-radius:6px}
@media (max-width:640px){
  main{padding:12px}
  table.stack thead{display:none}
  table.stack tr{display:block;border:1px solid var(--line);border-radius:8px;margin:8px 0;padding:4px 8px}
  table.stack td{display:flex;justify-content:space-between;gap:12px;border:none;padding:6px 0;text-align:right}
  table.stack td::before{content:attr(data-label);font-weight:600;color:var(--muted);text-align:left}
  table.stack td.num{text-align:right}
}
`;

const BASE_JS = `
(function () {
  'use strict';
  var csrf = document.querySelector('meta[name="csrf-token"]');
  var token = csrf ? csrf.getAttribute('content') : '';

  document.addEventListener('click', function (e) {
    var b = e.target.closest && e.target.closest('[data-copy]');
    if (!b) return;
    e.preventDefault();
    var text = b.getAttribute('data-copy');
    var done = function () { var t = b.textContent; b.textContent = 'Copied'; setTimeout(function () { b.textContent = t; }, 1500); };
    if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(text).then(done, function () { prompt('Copy this:', text); });
    else { prompt('Copy this:', text); }
  });

  document.addEventListener('submit', function (e) {
    var f = e.target;
    var msg = f.getAttribute && f.getAttribute('data-confirm');
    if (msg && !confirm(msg)) e.preventDefault();
  });

})();
`;

export const CSS = `${BASE_CSS}${OBJECTS_CSS}`;
export const JS = `${BASE_JS}${OBJECTS_JS}`;
