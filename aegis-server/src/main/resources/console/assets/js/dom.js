// DOM building without HTML strings. The console never assigns markup (the Content-Security-Policy
// enforces Trusted Types, so assigning a string as HTML would throw): text always goes in as text, which is what
// keeps agent-reported values (labels, event bodies) from ever becoming markup or script.

/**
 * Creates an element. `attrs` keys: `class`, `text`, `on<Event>` handlers, `dataset` (object),
 * boolean attributes (true sets, false/null omits), anything else as an attribute.
 * Children: nodes, strings (as text), arrays, null/undefined/false (skipped).
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === 'class') el.className = value;
    else if (key === 'text') el.textContent = value;
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2).toLowerCase(), value);
    else if (value === true) el.setAttribute(key, '');
    else el.setAttribute(key, String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces the children of `el` with `children`. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/**
 * Re-renders `container` with `render()` and puts keyboard focus back on the element that had it
 * (matched by its `data-focus-key`), so that a periodic refresh never throws a keyboard user out.
 */
export function refreshKeepingFocus(container, render) {
  const active = document.activeElement;
  const key = active && container.contains(active) ? active.dataset.focusKey : undefined;
  fill(container, render());
  if (key) {
    const again = container.querySelector(`[data-focus-key="${CSS.escape(key)}"]`);
    if (again) again.focus();
  }
}

const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto', style: 'short' });

/** "12 s ago", "3 min ago"…, or "—". */
export function ago(iso) {
  if (!iso) return '—';
  const seconds = Math.round((Date.parse(iso) - Date.now()) / 1000);
  const abs = Math.abs(seconds);
  if (abs < 5) return 'just now';
  if (abs < 60) return relative.format(seconds, 'second');
  if (abs < 3600) return relative.format(Math.round(seconds / 60), 'minute');
  if (abs < 86400) return relative.format(Math.round(seconds / 3600), 'hour');
  return relative.format(Math.round(seconds / 86400), 'day');
}

const absolute = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });

/** A local date and time, or "—". */
export function when(iso) {
  return iso ? absolute.format(new Date(iso)) : '—';
}

/** A <time> showing the relative time, with the exact time as its tooltip. */
export function timeAgo(iso) {
  if (!iso) return h('span', { class: 'subtle', text: '—' });
  return h('time', { datetime: iso, title: when(iso), text: ago(iso) });
}

/** A <time> showing the local date and time. */
export function timeAt(iso) {
  if (!iso) return h('span', { class: 'subtle', text: '—' });
  return h('time', { datetime: iso, text: when(iso) });
}

const STATE_TONES = {
  connected: 'ok', offline: '', inactive: 'danger',
  pending: '', sent: 'info', delivered: 'ok', failed: 'danger', expired: 'warn', cancelled: '',
  active: 'ok',
  awaiting_approval: 'warn', approved: 'ok', rejected: 'danger',
};

/** A coloured status badge; the word itself carries the meaning (never colour alone). */
export function badge(state) {
  const tone = STATE_TONES[state] ?? '';
  return h('span', { class: `badge ${tone}`.trim(), dataset: { state } }, state);
}

/** Label chips `name=value`. */
export function labelChips(labels) {
  const entries = Object.entries(labels || {});
  if (entries.length === 0) return h('span', { class: 'subtle', text: '—' });
  return h('span', { class: 'chips' }, entries.map(([k, v]) => h('span', { class: 'chip', text: `${k}=${v}` })));
}

/** A definition list from [term, value] pairs (values may be nodes). */
export function facts(pairs) {
  return h('dl', { class: 'facts' }, pairs.map(([term, value]) => [h('dt', { text: term }), h('dd', {}, value ?? '—')]));
}

/** A panel with a heading and a body. */
export function panel(title, body, { actions = null, flush = false, id = null, headingLevel = 'h2' } = {}) {
  const headingId = id ? `${id}-title` : null;
  return h('section', { class: 'panel', id, 'aria-labelledby': headingId },
    h('header', {}, h(headingLevel, { id: headingId, text: title }), h('span', { class: 'spacer' }), actions),
    h('div', { class: flush ? 'body flush' : 'body' }, body));
}

/** A table with a visually hidden caption, header cells with scope, and a body. */
export function table(caption, columns, rows, { emptyText = 'Nothing to show.' } = {}) {
  if (rows.length === 0) return h('p', { class: 'empty', role: 'status', text: emptyText });
  return h('div', { class: 'table-wrap' },
    h('table', {},
      h('caption', { class: 'visually-hidden', text: caption }),
      h('thead', {}, h('tr', {}, columns.map((c) => h('th', { scope: 'col', class: c.num ? 'num' : null, text: c.title })))),
      h('tbody', {}, rows)));
}

/** Pretty JSON, for payloads and documents. */
export function json(value) {
  return h('pre', {}, JSON.stringify(value, null, 2));
}

/** A compact one-line JSON preview, cut at `max` characters. */
export function jsonPreview(value, max = 120) {
  const text = JSON.stringify(value);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** A notice area whose text is announced to screen readers when it changes. */
export function notice(kind = 'error') {
  return h('div', { class: `notice ${kind}`, role: kind === 'error' ? 'alert' : 'status' });
}

/** Shows `message` in a notice (empty hides it). */
export function say(el, message, kind) {
  if (kind) el.className = `notice ${kind}`;
  el.textContent = message || '';
}

/** A number with thousands separators. */
export function count(n) {
  return n === null || n === undefined || Number.isNaN(n) ? '—' : Number(n).toLocaleString();
}

/** Parses "k=v, k2=v2" (commas or spaces) into ["k=v", "k2=v2"]; throws on a malformed entry. */
export function parseSelectors(text) {
  const parts = (text || '').split(/[\s,]+/).filter(Boolean);
  for (const p of parts) {
    if (p.indexOf('=') <= 0) throw new Error(`"${p}" is not name=value`);
  }
  return parts;
}
