// Sending: to one agent (POST /api/v1/agents/{id}/send) or to many (POST /api/v1/agents/broadcast),
// then following the message's progress live.

import { api } from '../api.js';
import { href } from '../href.js';
import { count, fill, h, notice, panel, parseSelectors, say } from '../dom.js';
import { followMessage } from '../progress.js';
import { showAwaitingApproval } from './approvals.js';

const CHANNEL = /^[a-z0-9][a-z0-9._/-]{0,127}$/;

function tabs(current) {
  return h('nav', { class: 'segmented', 'aria-label': 'Send to' },
    h('a', { href: href('send'), 'aria-current': current === 'send' ? 'page' : null, text: 'One agent' }),
    h('a', { href: href('broadcast'), 'aria-current': current === 'broadcast' ? 'page' : null, text: 'Broadcast' }));
}

/** A field: label, control, hint and an error line tied to the control. */
function field(id, label, control, hint) {
  const error = h('span', { id: `${id}-error`, class: 'error-text', 'aria-live': 'polite' });
  control.id = id;
  control.setAttribute('aria-describedby', [hint ? `${id}-hint` : null, `${id}-error`].filter(Boolean).join(' '));
  const el = h('div', { class: 'field' }, h('label', { for: id, text: label }), control, hint ? h('span', { id: `${id}-hint`, class: 'hint', text: hint }) : null, error);
  return {
    el,
    control,
    invalid(message) {
      error.textContent = message || '';
      if (message) control.setAttribute('aria-invalid', 'true');
      else control.removeAttribute('aria-invalid');
      return !message;
    },
  };
}

/** The message fields both forms share, and the request body they make. */
function messageFields(prefix) {
  const channel = field(`${prefix}-channel`, 'Channel', h('input', { type: 'text', value: 'commands', autocomplete: 'off', spellcheck: 'false' }), 'Lower-case, e.g. commands, scans/yara');
  const type = field(`${prefix}-type`, 'Type', h('select', {}, h('option', { value: 'request', text: 'request' }), h('option', { value: 'event', text: 'event' })), 'A request may be answered');
  const priority = field(`${prefix}-priority`, 'Priority', h('select', {}, ['normal', 'control', 'bulk'].map((p) => h('option', { value: p, text: p }))));
  const ttl = field(`${prefix}-ttl`, 'Time to live', h('input', { type: 'text', placeholder: 'MESSAGE_TTL', autocomplete: 'off' }), 'e.g. 30s, 10m, 1h');
  const message = field(`${prefix}-message`, 'Message (JSON)', h('textarea', { rows: '7', spellcheck: 'false' }));
  message.control.value = '{\n  "action": "ping"\n}';
  return {
    elements: [h('div', { class: 'form-row' }, channel.el, type.el, priority.el, ttl.el), message.el],
    /** The body fields, or null after marking what is wrong. */
    body() {
      let ok = channel.invalid(CHANNEL.test(channel.control.value.trim()) ? '' : 'A channel is 1-128 characters of a-z 0-9 . _ / - starting with a letter or digit.');
      let parsed;
      try {
        parsed = JSON.parse(message.control.value);
        ok = message.invalid(parsed === null ? 'The message cannot be null.' : '') && ok;
      } catch (e) {
        ok = message.invalid(`Not valid JSON: ${e.message}`) && false;
      }
      if (!ok) return null;
      const body = { channel: channel.control.value.trim(), message: parsed, message_type: type.control.value, priority: priority.control.value };
      if (ttl.control.value.trim()) body.ttl = ttl.control.value.trim();
      return body;
    },
  };
}

export function sendPage(main, { query, setTitle }) {
  setTitle('Send');
  const status = notice('error');
  const suggestions = h('datalist', { id: 'send-agent-suggestions' });
  const agent = field('send-agent', 'Agent', h('input', { type: 'text', value: query.get('agent') || '', list: 'send-agent-suggestions', autocomplete: 'off', spellcheck: 'false', required: true }), 'The agent id; suggestions come from the fleet as you type');
  const fields = messageFields('send');
  const submit = h('button', { type: 'submit', class: 'btn primary', text: 'Send' });
  const progress = h('div');
  let stopFollowing = null;
  let typing = null;

  agent.control.addEventListener('input', () => {
    clearTimeout(typing);
    typing = setTimeout(async () => {
      const q = agent.control.value.trim();
      if (!q) return;
      try {
        const page = await api('api/v1/fleet/agents', { query: { q, limit: 10 } });
        fill(suggestions, page.agents.map((a) => h('option', { value: a.agent_id, text: `${a.agent_id} (${a.state})` })));
      } catch {
        // Suggestions are a convenience: a failure leaves the list as it was.
      }
    }, 250);
  });

  const form = h('form', { class: 'form', method: 'post', novalidate: true, 'aria-label': 'Send to one agent' }, agent.el, suggestions, fields.elements, h('div', { class: 'actions' }, submit));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const agentId = agent.control.value.trim();
    const okAgent = agent.invalid(agentId ? '' : 'Name the agent to send to.');
    const body = fields.body();
    if (!okAgent || !body) {
      form.querySelector('[aria-invalid="true"]').focus();
      return;
    }
    submit.disabled = true;
    say(status, '');
    try {
      const accepted = await api(`api/v1/agents/${encodeURIComponent(agentId)}/send`, { method: 'POST', body });
      if (stopFollowing) stopFollowing();
      stopFollowing = null;
      if (accepted.status === 'awaiting_approval') {
        showAwaitingApproval(status, accepted);
        fill(progress, h('p', { class: 'subtle', text: 'Nothing to follow until it is approved.' }));
        return;
      }
      say(status, accepted.status === 'sent' ? `Sent to ${agentId}; waiting for its acknowledgement.` : `Queued for ${agentId}: it is not connected now and will get the message when it connects.`, 'ok');
      stopFollowing = followMessage(progress, accepted.message_id);
    } catch (e) {
      say(status, `Not sent: ${e.message}`, 'error');
    } finally {
      submit.disabled = false;
    }
  });

  fill(main,
    h('div', { class: 'page-head' }, h('h1', { text: 'Send to one agent' }), h('span', { class: 'spacer' }), tabs('send')),
    status,
    h('div', { class: 'grid-2' }, panel('Message', form, { id: 'send-form' }), panel('Progress', progress, { id: 'send-progress' })));
  fill(progress, h('p', { class: 'subtle', text: 'Send a message to follow it here: accepted → sent → delivered.' }));
  return () => { if (stopFollowing) stopFollowing(); clearTimeout(typing); };
}

export function broadcastPage(main, { setTitle }) {
  setTitle('Broadcast');
  const status = notice('error');
  const targetName = 'broadcast-target';
  const radio = (value, label, checked) => h('label', { class: 'choice' }, h('input', { type: 'radio', name: targetName, value, checked }), label);
  const labels = h('input', { type: 'text', id: 'broadcast-labels', placeholder: 'env=prod, site=paris', autocomplete: 'off', spellcheck: 'false', 'aria-label': 'Labels (all must match)', disabled: true });
  const labelsError = h('span', { class: 'error-text', 'aria-live': 'polite' });
  const target = h('fieldset', {}, h('legend', { text: 'Recipients' }), h('div', { class: 'choices' },
    radio('all', 'Every active agent', true),
    radio('subscribers', 'Subscribers of the channel', false),
    h('div', { class: 'choice' }, radio('labels', 'Agents with labels', false), labels),
    labelsError));
  const queueOffline = h('input', { type: 'checkbox', id: 'broadcast-queue-offline' });
  const preview = h('p', { class: 'subtle', id: 'broadcast-preview', 'aria-live': 'polite' });
  const fields = messageFields('broadcast');
  const submit = h('button', { type: 'submit', class: 'btn primary', text: 'Broadcast' });
  const progress = h('div');
  let stopFollowing = null;
  let previewTimer = null;

  const chosen = () => target.querySelector(`input[name="${targetName}"]:checked`).value;
  target.addEventListener('change', () => {
    labels.disabled = chosen() !== 'labels';
    if (!labels.disabled) labels.focus();
    schedulePreview();
  });
  labels.addEventListener('input', schedulePreview);
  fields.elements[0].addEventListener('input', schedulePreview);

  function schedulePreview() {
    clearTimeout(previewTimer);
    previewTimer = setTimeout(updatePreview, 300);
  }

  async function updatePreview() {
    try {
      const kind = chosen();
      if (kind === 'subscribers') {
        const channel = document.getElementById('broadcast-channel').value.trim();
        const { channels } = await api('api/v1/channels');
        const c = channels.find((x) => x.name === channel);
        preview.textContent = `Reaches the ${count(c ? c.subscribers : 0)} active subscribers of "${channel}".`;
        return;
      }
      const query = kind === 'labels' ? { label: parseSelectors(labels.value) } : {};
      if (kind === 'labels' && query.label.length === 0) {
        preview.textContent = 'Name at least one label.';
        return;
      }
      const summary = await api('api/v1/fleet/summary', { query });
      const active = (summary.states.connected || 0) + (summary.states.offline || 0);
      preview.textContent = `Reaches ${count(active)} active agents, ${count(summary.states.connected)} of them connected now.`;
    } catch (e) {
      preview.textContent = e.message;
    }
  }

  const form = h('form', { class: 'form', method: 'post', novalidate: true, 'aria-label': 'Broadcast' },
    target,
    preview,
    h('label', { class: 'choice' }, queueOffline, 'Queue it for agents that are offline (they get it when they connect, within its time to live)'),
    fields.elements,
    h('div', { class: 'actions' }, submit));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const body = fields.body();
    let selectors = [];
    labelsError.textContent = '';
    labels.removeAttribute('aria-invalid');
    try {
      selectors = chosen() === 'labels' ? parseSelectors(labels.value) : [];
      if (chosen() === 'labels' && selectors.length === 0) throw new Error('Name at least one label');
    } catch (e) {
      labelsError.textContent = `${e.message}: write labels as name=value.`;
      labels.setAttribute('aria-invalid', 'true');
      labels.focus();
      return;
    }
    if (!body) {
      form.querySelector('[aria-invalid="true"]').focus();
      return;
    }
    const kind = chosen();
    body.target = kind === 'all' ? { all: true } : kind === 'subscribers' ? { subscribers: true }
      : { labels: Object.fromEntries(selectors.map((s) => [s.slice(0, s.indexOf('=')), s.slice(s.indexOf('=') + 1)])) };
    body.queue_offline = queueOffline.checked;
    submit.disabled = true;
    say(status, '');
    try {
      const result = await api('api/v1/agents/broadcast', { method: 'POST', body });
      if (stopFollowing) stopFollowing();
      stopFollowing = null;
      if (result.status === 'awaiting_approval') {
        showAwaitingApproval(status, result);
        fill(progress, h('p', { class: 'subtle', text: 'Nothing to follow until it is approved.' }));
        return;
      }
      const c = result.counts;
      say(status, `Broadcast accepted: sent to ${count(c.sent_to)} connected agents, queued for ${count(c.queued)}`
        + (c.failed ? `; not sent to ${count(c.failed)} (offline and not queued, or their queue is full)` : '') + '.', 'ok');
      if (c.sent_to + c.queued > 0) stopFollowing = followMessage(progress, result.message_id);
      else fill(progress, h('p', { text: 'No agent was reached: nothing to follow.' }));
    } catch (e) {
      say(status, `Not broadcast: ${e.message}`, 'error');
    } finally {
      submit.disabled = false;
    }
  });

  fill(main,
    h('div', { class: 'page-head' }, h('h1', { text: 'Broadcast' }), h('span', { class: 'spacer' }), tabs('broadcast')),
    status,
    h('div', { class: 'grid-2' }, panel('Message', form, { id: 'broadcast-form' }), panel('Progress', progress, { id: 'broadcast-progress' })));
  fill(progress, h('p', { class: 'subtle', text: 'Broadcast a message to follow its delivery here, recipient by recipient.' }));
  updatePreview();
  return () => { if (stopFollowing) stopFollowing(); clearTimeout(previewTimer); };
}
