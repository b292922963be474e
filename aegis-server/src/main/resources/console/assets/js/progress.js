// A message's progress, followed live (GET /api/v1/messages/{id} every second until it is
// finished): the lifecycle steps of a message to one agent, or a broadcast's counts by status
// (sent → delivered) with a progress bar.

import { api } from './api.js';
import { agentHref } from './href.js';
import { badge, count, facts, fill, h, json, notice, refreshKeepingFocus, say, timeAt } from './dom.js';
import { every } from './live.js';

const FOLLOW_MS = 1000;
const FINISHED = new Set(['delivered', 'failed', 'expired', 'cancelled']);
const ORDER = ['delivered', 'sent', 'pending', 'failed', 'expired', 'cancelled'];

/**
 * Renders the progress of `messageId` into `container` and keeps it current until the message is
 * finished. Returns a function that stops following.
 */
export function followMessage(container, messageId) {
  const body = h('div', { class: 'progress', dataset: { messageId }, 'aria-live': 'polite' });
  const error = notice('error');
  const live = every(FOLLOW_MS, load, { label: 'Following' });
  const cancel = h('button', { type: 'button', class: 'btn small danger', text: 'Cancel message', hidden: true });
  cancel.addEventListener('click', async () => {
    cancel.disabled = true;
    try {
      await api(`api/v1/messages/${encodeURIComponent(messageId)}`, { method: 'DELETE' });
      live.refresh();
    } catch (e) {
      say(error, `Cannot cancel: ${e.message}`, 'error');
      cancel.disabled = false;
    }
  });
  fill(container, h('div', { class: 'page-head' }, h('span', { class: 'mono subtle', text: messageId }), h('span', { class: 'spacer' }), live.indicator, cancel), error, body);

  async function load() {
    let m;
    try {
      m = await api(`api/v1/messages/${encodeURIComponent(messageId)}`);
    } catch (e) {
      say(error, `Cannot load the message: ${e.message}`, 'error');
      throw e;
    }
    say(error, '');
    const finished = m.broadcast ? Object.keys(m.recipients || {}).every((s) => FINISHED.has(s)) : FINISHED.has(m.status);
    body.dataset.status = m.status;
    refreshKeepingFocus(body, () => (m.broadcast ? broadcastView(m) : singleView(m)));
    cancel.hidden = finished;
    if (finished) {
      live.stop();
      live.indicator.classList.add('paused');
      live.indicator.replaceChildren(h('span', { text: 'Finished' }));
    }
  }

  return () => live.stop();
}

function singleView(m) {
  const failed = m.status === 'failed' || m.status === 'expired' || m.status === 'cancelled';
  const reached = { pending: 1, sent: 2, delivered: 3 }[m.status] ?? (m.sent_at ? 2 : 1);
  const steps = [
    { title: 'Accepted', at: m.created_at, done: true },
    { title: 'Sent', at: m.sent_at, done: reached >= 2 },
    failed
      ? { title: m.status[0].toUpperCase() + m.status.slice(1), at: null, bad: true }
      : { title: 'Delivered', at: m.delivered_at, done: reached >= 3 },
  ];
  const current = steps.findIndex((s) => !s.done && !s.bad);
  return [
    h('ol', { class: 'steps', 'aria-label': 'Lifecycle' }, steps.map((s, i) => h('li', {
      class: s.bad ? 'bad' : s.done ? 'done' : i === current ? 'current' : null,
      'aria-current': i === current ? 'step' : null,
    }, h('strong', { text: s.title }), s.at ? timeAt(s.at) : h('span', { text: s.bad ? (m.error || '') : s.done ? '' : 'waiting' })))),
    facts([
      ['Status', badge(m.status)],
      ['Agent', h('a', { href: agentHref(m.agent_id), class: 'mono', dataset: { focusKey: 'agent' }, text: m.agent_id })],
      ['Channel', h('code', { text: m.channel })],
      ['Type', m.message_type],
      ['Priority', m.priority],
      ['Attempts', `${m.attempts} of ${m.max_retries}`],
      ['Expires', timeAt(m.expires_at)],
      ['Error', m.error || '—'],
      ['Response', m.response !== undefined && m.response !== null ? json(m.response) : m.message_type === 'request' ? 'none yet' : '—'],
    ]),
  ];
}

function broadcastView(m) {
  const byStatus = m.recipients || {};
  const total = Object.values(byStatus).reduce((a, b) => a + b, 0);
  const delivered = byStatus.delivered || 0;
  const percent = total ? Math.round((delivered / total) * 100) : 0;
  const present = ORDER.filter((s) => byStatus[s]);
  return [
    h('p', {},
      h('span', { class: 'big-number', dataset: { delivered: String(delivered), total: String(total) }, text: `${count(delivered)} of ${count(total)}` }),
      ' recipients delivered'),
    h('div', { class: 'bar', role: 'progressbar', 'aria-label': 'Delivered', 'aria-valuemin': '0', 'aria-valuemax': String(total), 'aria-valuenow': String(delivered), 'aria-valuetext': `${percent}% delivered` },
      present.map((s) => {
        const bar = h('span', { class: s, title: `${s}: ${byStatus[s]}` });
        // Widths through the CSSOM, not a style attribute: the Content-Security-Policy forbids inline styles.
        bar.style.width = `${(byStatus[s] / total) * 100}%`;
        return bar;
      })),
    h('ul', { class: 'legend', 'aria-label': 'Recipients by status' }, ORDER.map((s) => h('li', { dataset: { status: s } },
      h('span', { class: `swatch ${s}`, 'aria-hidden': 'true' }), `${s}: `, h('strong', { text: count(byStatus[s] || 0) })))),
    facts([
      ['Channel', h('code', { text: m.channel })],
      ['Type', m.message_type],
      ['Priority', m.priority],
      ['Accepted', timeAt(m.created_at)],
      ['Expires', timeAt(m.expires_at)],
    ]),
  ];
}
