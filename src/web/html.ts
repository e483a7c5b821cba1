/** Tiny server-side HTML: every interpolated value goes through esc(). */
export function esc(v: unknown): string {
  return String(v).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** A tagged template that escapes its values unless they are already Html. */
export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0]!;
  values.forEach((v, i) => {
    const part = Array.isArray(v) ? v.map((x) => (x instanceof Html ? x.text : esc(x))).join('') : v instanceof Html ? v.text : esc(v ?? '');
    out += part + strings[i + 1]!;
  });
  return new Html(out);
}

/** One row of a listing: its attributes (id, data-*) and one value per column. */
export interface ListRow {
  attrs?: Html;
  cells: unknown[];
}

/** A listing table; every cell carries its column's name (data-label), which narrow screens show beside the value. */
export function listTable(columns: string[], rows: ListRow[]): Html {
  const head = columns.map((c) => html`<th scope="col">${c}</th>`);
  const body = rows.map((r) => html`<tr${r.attrs ?? ''}>${r.cells.map((c, i) => html`<td data-label="${columns[i] ?? ''}">${c}</td>`)}</tr>`);
  return html`<table class="list"><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

const STYLE = `
body{font-family:system-ui,sans-serif;max-width:64rem;margin:2rem auto;padding:0 1rem;color:#1d2330}
header{display:flex;flex-wrap:wrap;gap:0 1rem;justify-content:space-between;align-items:center;border-bottom:1px solid #ccd;margin-bottom:1.5rem}
main{overflow-wrap:anywhere}
label{display:block;margin:.8rem 0 .2rem}
input,select{font-size:1.1rem;padding:.4rem;width:100%;box-sizing:border-box}
button{font-size:1rem;padding:.5rem 1.2rem;margin-top:1rem}
.error{background:#fde8e8;border:1px solid #e0a0a0;padding:.6rem}
.ok{background:#e6f6e6;border:1px solid #9c9;padding:.6rem}
table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:.3rem;border-bottom:1px solid #eee}
code{background:#f3f3f6;padding:0 .2rem}
.paging{margin-top:1rem}.paging a{margin-left:.8rem}
@media (max-width:40rem){
body{margin:1rem auto}
table.list,table.list tbody,table.list tr,table.list td{display:block;width:auto}
table.list thead{position:absolute;width:1px;height:1px;overflow:hidden;clip-path:inset(50%)}
table.list tr{border-bottom:1px solid #ccd;padding:.4rem 0}
table.list td{border:0;padding:.1rem 0}
table.list td[data-label]:not([data-label=""])::before{content:attr(data-label) ": ";font-weight:600}
}
form.inline{display:inline}form.inline button{margin:0 .2rem;padding:.2rem .6rem}form.inline input{width:5rem;font-size:1rem;padding:.2rem}label.inline-label{display:inline;margin:0}
fieldset{border:1px solid #ccd;flex:1 1 100%}fieldset label{display:inline-block;margin:.2rem 1rem .2rem 0}fieldset input,label input[type=checkbox]{width:auto}
form.filters,form.bulk{display:flex;flex-wrap:wrap;gap:0 .8rem;align-items:flex-end;margin-bottom:1rem}
form.filters>div,form.bulk>div{flex:1 1 9rem}form.bulk h3,form.bulk h4{flex-basis:100%;margin:1.5rem 0 0}
dl.fields{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem}dl.fields dt{font-weight:600}dl.fields dd{margin:0}
svg.gauge{width:10rem;max-width:100%;height:.8rem;vertical-align:middle}svg.chart{width:100%;max-width:600px;height:auto}
.tiles{display:flex;flex-wrap:wrap;gap:1rem}.tiles a{flex:1 1 8rem;border:1px solid #ccd;padding:1rem;text-decoration:none;color:inherit}.tiles strong{display:block;font-size:2rem}
textarea{width:100%;box-sizing:border-box;font-family:monospace}
`;

export function page(title: string, body: Html, o: { user?: string; csrf?: string } = {}): string {
  const nav = o.user
    ? html`<nav><a href="/">Fleet</a> · <a href="/devices">Devices</a> · <a href="/alerts">Alerts</a> · <a href="/printers">Printers</a> · <a href="/jobs">Jobs</a> · <a href="/fax">Fax</a> · <a href="/billing">Billing</a> · <a href="/firmware">Firmware</a> · <a href="/settings">Settings</a></nav><form method="post" action="/logout"><input type="hidden" name="_csrf" value="${o.csrf}"><span>${o.user}</span> <button type="submit">Sign out</button></form>`
    : html``;
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${title} · FleetRelay</title><style>${new Html(STYLE)}</style></head>
<body><header><h1>FleetRelay</h1>${nav}</header><main><h2>${title}</h2>${body}</main>${
    o.user ? html`<p id="live-news" role="status" aria-live="polite"></p><script src="/console.js" defer></script>` : ''
  }</body></html>`.text;
}
