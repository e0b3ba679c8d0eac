/**
 * The bucket and object pages' script and styles (appended to assets.ts's): selecting many rows,
 * uploads of files and folders that first ask before replacing a name and check the quota, warn before
 * the page is left mid-upload, say S3's refusals in decoded words and offer a retry; creating a folder
 * (a marker object), and the start of a text file as its preview. Everything works without it too,
 * except uploading (which needs a script to send straight to storage).
 */

export const OBJECTS_CSS = `
.pickers{justify-content:center}
button:disabled{opacity:.45;cursor:not-allowed}
.visually-hidden:focus-visible+label{outline:3px solid #f59e0b;outline-offset:2px}
.toolbar input[type=search]{flex:1 1 180px;width:auto;max-width:none;padding:9px 10px;border:1px solid var(--line);border-radius:6px;font:inherit}
.bulkbar{margin:8px 0}.inline-check{display:inline-flex;gap:6px;align-items:center;font-weight:400;margin:0}
th.check,td.check{width:32px}.objects td.name a{word-break:break-all}
.pager{margin:12px 0}.newfolder{margin:8px 0}.newfolder input{width:auto;flex:1 1 200px;max-width:320px}
ul.plain{list-style:none;padding:0;margin:0}.copyable{margin:4px 0}
.flash.warn{background:#fff8e1;border-color:#f2d27a;color:#4d3800}
.details{display:grid;gap:12px;grid-template-columns:minmax(0,3fr) minmax(0,2fr);align-items:start}
.preview{max-width:100%;max-height:480px;display:block}
img.preview{min-width:min(100%,160px);image-rendering:pixelated;background:repeating-conic-gradient(#eee 0 25%,#fff 0 50%) 0 0/16px 16px}
.preview.pdf{width:100%;height:480px;border:0}
pre.preview.text{white-space:pre-wrap;background:var(--soft);padding:12px;border-radius:6px;overflow:auto;max-height:480px}
table.meta th{width:34%;white-space:nowrap}
.danger-zone summary{cursor:pointer;font-weight:600;color:var(--bad)}
.uploads li .retry{grid-column:2}
.upload-problem:empty{display:none}
.snippet pre{background:var(--soft);padding:10px;border-radius:6px;overflow-x:auto;margin:4px 0 12px;font-size:.8rem}
fieldset label .price{display:block;width:100%;margin:0 0 0 24px}fieldset label:has(.price){flex-wrap:wrap}
@media (max-width:640px){
  header .bar{padding:6px 10px;gap:2px 8px}header nav{order:3;width:100%;overflow-x:auto}
  header nav ul{flex-wrap:nowrap}
  header nav a{padding:4px 6px;font-size:.9rem;white-space:nowrap}
  header form button{padding:4px 10px;min-height:32px}
  h1{font-size:1.25rem;margin:4px 0 10px}
  .details{grid-template-columns:1fr}
  table.stack td[data-label=""][colspan]{display:none}
  .toolbar select{flex:1 1 40%}.toolbar{padding:10px}
  table.objects tr{display:grid;grid-template-columns:28px 1fr auto;gap:0 8px;padding:4px 8px;margin:4px 0}
  table.objects td{display:block;padding:2px 0;text-align:left}
  table.objects td::before{content:none}
  table.objects td.check{grid-row:1/3}
  table.objects td.name{grid-column:2/4}
  table.objects td[data-label=Size]{grid-column:2;color:var(--muted);font-size:.85rem}
  table.objects td[data-label=Modified]{display:none}
  table.objects td.row-actions{grid-column:3;grid-row:2;font-size:.85rem}
  table.objects tr.folder td[data-label=Folder]{grid-column:2/4}
}
`;

export const OBJECTS_JS = `
(function () {
  'use strict';
  var meta = document.querySelector('meta[name="csrf-token"]');
  var token = meta ? meta.getAttribute('content') : '';
  function post(url, body) {
    return fetch(url, { method: 'POST', credentials: 'same-origin', headers: { 'content-type': 'application/json', 'x-csrf-token': token }, body: JSON.stringify(body) })
      .then(function (r) { return r.json().then(function (j) { return { ok: r.ok, body: j }; }); });
  }
  function human(n) {
    if (n < 1024) return n + ' B';
    var u = ['KiB', 'MiB', 'GiB', 'TiB', 'PiB'], v = n / 1024, i = 0;
    while (v >= 1024 && i < u.length - 1) { v /= 1024; i++; }
    return v.toFixed(v < 10 ? 1 : 0) + ' ' + u[i];
  }
  /** S3's XML refusal as words: the Message decoded (no &apos;), byte counts said as sizes. */
  function s3Message(xhr) {
    var text = '';
    try { var m = new DOMParser().parseFromString(xhr.responseText || '', 'application/xml').querySelector('Message'); text = m ? m.textContent : ''; }
     catch (e) {}
    if (!text) return 'the server answered ' + xhr.status;
    return text.replace(/\\b(\\d{4,}) ((?:stored )?bytes)/g, function (_, n) { return human(Number(n)); });
  }

  // text previews: the start of the file
  document.querySelectorAll('[data-preview-text]').forEach(function (pre) {
    fetch(pre.getAttribute('data-preview-text'), { headers: { range: 'bytes=0-65535' } }).then(function (r) { return r.ok ? r.text() : Promise.reject(); })
      .then(function (t) { pre.textContent = t; }, function () {});
  });

  // bulk selection
  var all = document.getElementById('select-all');
  function boxes() { return Array.prototype.slice.call(document.querySelectorAll('input[type=checkbox][form=bulk]')); }
  function counted() {
    var n = boxes().filter(function (b) { return b.checked; }).length;
    var out = document.getElementById('selected-count'); if (out) out.textContent = n ? n + ' selected' : '';
    var del = document.getElementById('delete-selected'); if (del) del.disabled = n === 0;
  }
  document.addEventListener('change', function (e) {
    if (e.target === document.getElementById('select-all')) boxes().forEach(function (b) { b.checked = e.target.checked; });
    if (e.target.matches && e.target.matches('input[type=checkbox]')) counted();
  });
  if (all) counted();

  var drop = document.getElementById('dropzone');
  if (!drop) return;
  var bucket = drop.getAttribute('data-bucket');
  var prefix = drop.getAttribute('data-prefix') || '';
  var base = '/console/buckets/' + encodeURIComponent(bucket);
  var list = document.getElementById('uploads');
  var problem = document.createElement('p'); problem.className = 'flash error upload-problem'; problem.setAttribute('role', 'alert'); problem.id = 'upload-problem';
  list.before(problem);
  var pending = 0;

  // leaving the page cancels an upload: the browser asks first
  window.addEventListener('beforeunload', function (e) { if (pending > 0) { e.preventDefault(); e.returnValue = ''; } });

  // a new folder is a marker object "name/", so it stays when the page is left empty
  var nf = document.querySelector('form.newfolder');
  if (nf) nf.addEventListener('submit', function (e) {
    var name = nf.querySelector('input[name=folder]').value.trim().replace(/^\\/+|\\/+$/g, '');
    if (!name) return;
    e.preventDefault();
    var key = prefix + name + '/';
    post(base + '/upload-form', { key: key, size: 0 }).then(function (res) {
      if (!res.ok) { nf.submit(); return; }
      var form = new FormData();
      Object.keys(res.body.fields).forEach(function (k) { form.append(k, res.body.fields[k]); });
      form.append('file', new Blob([]));
      return fetch(res.body.url, { method: 'POST', body: form }).then(function () {
        location.href = base + '?prefix=' + encodeURIComponent(key);
      });
    }, function () { nf.submit(); });
  });

  function refresh() {
    fetch(location.href, { credentials: 'same-origin' }).then(function (r) { return r.text(); }).then(function (html) {
      var doc = new DOMParser().parseFromString(html, 'text/html');
      ['objects', 'bucket-summary', 'quota-left'].forEach(function (id) {
        var fresh = doc.getElementById(id), old = document.getElementById(id);
        if (fresh && old) old.replaceWith(fresh);
      });
      counted();
    });
  }

  function row(item) {
    var li = document.createElement('li');
    var name = document.createElement('span'); name.textContent = item.key.slice(prefix.length) + ' (' + human(item.file.size) + ')';
    var status = document.createElement('span'); status.className = 'status small'; status.setAttribute('aria-live', 'polite'); status.textContent = 'Waiting';
    var bar = document.createElement('progress'); bar.max = 100; bar.value = 0; bar.setAttribute('aria-label', 'Upload of ' + item.key);
    li.append(name, status, bar); list.append(li);
    return { li: li, status: status, bar: bar };
  }

  function fail(item, ui, message) {
    ui.status.textContent = 'Failed: ' + message; ui.li.setAttribute('data-state', 'failed');
    var again = document.createElement('button'); again.type = 'button'; again.className = 'secondary retry'; again.textContent = 'Retry';
    again.setAttribute('aria-label', 'Retry the upload of ' + item.key);
    again.addEventListener('click', function () { again.remove(); send(item, ui); });
    ui.li.append(again);
  }

  function send(item, ui) {
    pending++;
    ui.li.removeAttribute('data-state'); ui.bar.value = 0; ui.status.textContent = 'Starting';
    var finish = function () { if (--pending === 0) refresh(); };
    post(base + '/upload-form', { key: item.key, size: item.file.size }).then(function (res) {
      if (!res.ok) { fail(item, ui, res.body.error ? res.body.error.message : 'the upload form was refused'); finish(); return; }
      var form = new FormData();
      Object.keys(res.body.fields).forEach(function (k) { form.append(k, res.body.fields[k]); });
      form.append('file', item.file);
      var xhr = new XMLHttpRequest();
      xhr.open('POST', res.body.url);
      ui.status.textContent = '0%';
      xhr.upload.onprogress = function (ev) {
        if (!ev.lengthComputable) return;
        var p = Math.min(99, Math.floor(ev.loaded / ev.total * 100));
        ui.bar.value = p; ui.status.textContent = p + '%';
      };
      xhr.onload = function () {
        if (xhr.status >= 200 && xhr.status < 300) { ui.bar.value = 100; ui.status.textContent = '100% uploaded'; ui.li.setAttribute('data-state', 'done'); }
        else fail(item, ui, s3Message(xhr));
        finish();
      };
      xhr.onerror = function () { fail(item, ui, 'the connection was lost'); finish(); };
      xhr.send(form);
    }, function () { fail(item, ui, 'the server could not be reached'); finish(); });
  }

  /** Asks before replacing names and checks the quota, then sends each file. */
  function take(items) {
    if (!items.length) return;
    problem.textContent = '';
    post(base + '/upload-check', { keys: items.map(function (i) { return i.key; }) }).then(function (res) {
      if (!res.ok) { problem.textContent = res.body.error ? res.body.error.message : 'The upload could not be checked.'; return; }
      var info = res.body, existing = info.existing || {};
      var clash = items.filter(function (i) { return Object.prototype.hasOwnProperty.call(existing, i.key); });
      if (clash.length) {
        var names = clash.slice(0, 3).map(function (i) { return i.key; }).join(', ') + (clash.length > 3 ? ' and ' + (clash.length - 3) + ' more' : '');
        var ok = confirm((clash.length === 1 ? names + ' already exists here. Replace it?' : clash.length + ' files already exist here (' + names + '). Replace them?'));
        if (!ok) items = items.filter(function (i) { return clash.indexOf(i) < 0; });
      }
      if (!items.length) { problem.textContent = 'Nothing was uploaded: the existing files were kept.'; return; }
      var big = items.filter(function (i) { return i.file.size > info.maxObjectSize; });
      if (big.length) { problem.textContent = big[0].key + ' (' + human(big[0].file.size) + ') is larger than the largest object your quota allows (' + human(info.maxObjectSize) + ').'; return; }
      var total = 0;
      items.forEach(function (i) { total += i.file.size - (existing[i.key] || 0); });
      if (total > info.free) {
        problem.textContent = 'These files take ' + human(total) + ', but only ' + human(info.free) + ' of your ' + human(info.maxBytes) + ' quota is left. Nothing was uploaded: delete files or ask for a larger quota.';
        return;
      }
      items.forEach(function (i) { send(i, row(i)); });
    }, function () { problem.textContent = 'The server could not be reached; nothing was uploaded.'; });
  }

  function itemsOf(files) {
    var out = [];
    for (var i = 0; i < files.length; i++) out.push({ file: files[i], key: prefix + (files[i].webkitRelativePath || files[i].name) });
    return out;
  }
  /** The files of dropped folders, with their paths. */
  function walk(entry, path, out) {
    if (entry.isFile) return new Promise(function (ok) { entry.file(function (f) { out.push({ file: f, key: prefix + path + f.name }); ok(); }, ok); });
    if (!entry.isDirectory) return Promise.resolve();
    var reader = entry.createReader();
    return new Promise(function (ok) {
      var kids = [];
      (function more() { reader.readEntries(function (batch) { if (!batch.length) ok(kids); else { kids = kids.concat(batch); more(); } }, function () { ok(kids); }); })();
    }).then(function (kids) { return Promise.all(kids.map(function (k) { return walk(k, path + entry.name + '/', out); })); });
  }

  ['file-input', 'folder-input'].forEach(function (id) {
    var input = document.getElementById(id);
    if (input) input.addEventListener('change', function () { take(itemsOf(input.files)); input.value = ''; });
  });
  ['dragenter', 'dragover'].forEach(function (t) { drop.addEventListener(t, function (e) { e.preventDefault(); drop.classList.add('over'); }); });
  ['dragleave', 'drop'].forEach(function (t) { drop.addEventListener(t, function (e) { e.preventDefault(); drop.classList.remove('over'); }); });
  drop.addEventListener('drop', function (e) {
    var dt = e.dataTransfer; if (!dt) return;
    var entries = Array.prototype.map.call(dt.items || [], function (it) { return it.webkitGetAsEntry ? it.webkitGetAsEntry() : null; });
    if (entries.length && entries.every(Boolean) && entries.some(function (en) { return en.isDirectory; })) {
      var out = [];
      Promise.all(entries.map(function (en) { return walk(en, '', out); })).then(function () { take(out); });
    } else take(itemsOf(dt.files));
  });
})();
`;
