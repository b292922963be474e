// One agent: registry record, connection and session, the messages sent to it with their
// lifecycle, its recent events and the policies in force; deactivate and reactivate.

import { api, ApiError } from '../api.js';
import { confirmAction } from '../dialog.js';
import { href } from '../href.js';
import { badge, facts, fill, h, json, jsonPreview, labelChips, notice, panel, refreshKeepingFocus, say, table, timeAgo, timeAt } from '../dom.js';
import { every } from '../live.js';

const REFRESH_MS = 3000;
const MESSAGE_STATUSES = ['pending', 'sent', 'delivered', 'failed', 'expired', 'cancelled'];

export default function agentPage(main, { params, setTitle }) {
  const agentId = params.agentId;
  const path = `api/v1/agents/${encodeURIComponent(agentId)}`;
  setTitle(agentId);

  const error = notice('error');
  const done = notice('ok');
  const stateBadge = h('span', { id: 'agent-state' });
  const actions = h('div', { class: 'actions' });
  const overview = h('div');
  const sessionFacts = h('div');
  const messages = h('div');
  const events = h('div');
  const policies = h('div');
  let messageStatus = '';
  const statusSelect = h('select', { id: 'agent-message-status', 'aria-label': 'Show messages with status' },
    h('option', { value: '', text: 'Any status' }), MESSAGE_STATUSES.map((s) => h('option', { value: s, text: s })));
  statusSelect.addEventListener('change', () => { messageStatus = statusSelect.value; live.refresh(); });

  const live = every(REFRESH_MS, load);
  fill(main,
    h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' }, h('a', { href: href('fleet'), text: 'Fleet' }), ' / ', agentId),
    h('div', { class: 'page-head' }, h('h1', { class: 'mono', text: agentId }), stateBadge, h('span', { class: 'spacer' }), live.indicator, actions),
    error,
    done,
    h('div', { class: 'grid-2' },
      panel('Agent', overview, { id: 'agent-overview' }),
      panel('Connection and session', sessionFacts, { id: 'agent-session' })),
    h('div', { class: 'stack' },
      panel('Messages', messages, { id: 'agent-messages', flush: true, actions: statusSelect }),
      panel('Recent events', events, { id: 'agent-events', flush: true }),
      panel('Policies in force', policies, { id: 'agent-policies', flush: true })));

  let lastStatus = null;

  async function load() {
    let agent;
    try {
      agent = await api(path);
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) {
        say(error, `No agent "${agentId}" is registered (it may have been deleted).`, 'error');
        live.stop();
        return;
      }
      say(error, `Cannot load the agent: ${e.message}`, 'error');
      throw e;
    }
    const [fleet, status, messagePage, eventPage, effective] = await Promise.all([
      api(`api/v1/fleet/agents/${encodeURIComponent(agentId)}`),
      api(`${path}/status`),
      api(`${path}/messages`, { query: { limit: 25, status: messageStatus } }),
      api(`${path}/events`, { query: { limit: 20 } }),
      api(`${path}/policies`),
    ]).catch((e) => {
      say(error, `Cannot load the agent: ${e.message}`, 'error');
      throw e;
    });
    say(error, '');
    fill(stateBadge, badge(fleet.state));
    renderActions(agent);
    fill(overview, facts([
      ['Status', badge(agent.status)],
      ['Labels', labelChips(agent.labels)],
      ['Enrolled by', agent.enrolled_by],
      ['Registered', timeAt(agent.created_at)],
      ['Updated', timeAt(agent.updated_at)],
      ['Key rotated', agent.key_rotated_at ? timeAt(agent.key_rotated_at) : 'never'],
      ['Public key', h('code', { text: agent.public_key })],
    ]));
    fill(sessionFacts, facts([
      ['State', badge(fleet.state)],
      ['Transport', fleet.transport === 'websocket' ? 'WebSocket' : fleet.transport === 'http' ? 'HTTP polling' : '—'],
      ['Node', fleet.node_id || status.node_id || '—'],
      ['Last seen', timeAgo(fleet.last_seen || status.last_seen)],
      ['Connected since', timeAt(fleet.connected_since || status.connected_since)],
      ['Session id', status.session_id ? h('code', { text: status.session_id }) : '—'],
      ['Remote address', status.remote_address || '—'],
      ['Session expires', timeAt(status.session_expires)],
      ['Subscribed channels', status.channels && status.channels.length ? h('span', { class: 'chips' }, status.channels.map((c) => h('span', { class: 'chip', text: c }))) : '—'],
    ]));
    refreshKeepingFocus(messages, () => table('Messages sent to this agent, newest first',
      [{ title: 'Message' }, { title: 'Channel' }, { title: 'Type' }, { title: 'Status' }, { title: 'Attempts', num: true }, { title: 'Accepted' }, { title: 'Sent' }, { title: 'Delivered' }, { title: 'Error' }],
      messagePage.messages.map((m) => h('tr', { dataset: { messageId: m.message_id, status: m.status } },
        h('td', {}, h('a', { href: href(`messages/${encodeURIComponent(m.message_id)}`), class: 'mono', dataset: { focusKey: `message:${m.message_id}` }, title: m.message_id, text: m.message_id.slice(0, 13) + '…' })),
        h('td', { class: 'mono', text: m.channel }),
        h('td', { text: m.message_type }),
        h('td', {}, badge(m.status)),
        h('td', { class: 'num', text: `${m.attempts} / ${m.max_retries}` }),
        h('td', { class: 'nowrap' }, timeAgo(m.created_at)),
        h('td', { class: 'nowrap' }, timeAgo(m.sent_at)),
        h('td', { class: 'nowrap' }, timeAgo(m.delivered_at)),
        h('td', { text: m.error || '' }))),
      { emptyText: messageStatus ? `No ${messageStatus} message.` : 'No message was sent to this agent (finished ones are kept for AEGIS_MESSAGE_RETENTION).' }));
    refreshKeepingFocus(events, () => table('Recent events, newest first',
      [{ title: 'Time' }, { title: 'Type' }, { title: 'Body' }],
      eventPage.events.map((e) => h('tr', { dataset: { eventId: e.id } },
        h('td', { class: 'nowrap' }, timeAt(e.timestamp)),
        h('td', { class: 'mono', text: e.type }),
        h('td', {}, h('details', {}, h('summary', { class: 'mono', dataset: { focusKey: `event:${e.id}` }, text: jsonPreview(e.body, 100) }), json(e.body))))),
      { emptyText: 'No event from this agent.' }));
    refreshKeepingFocus(policies, () => table('Policies in force',
      [{ title: 'Policy' }, { title: 'Version', num: true }, { title: 'Assigned via' }],
      effective.policies.map((p) => h('tr', {},
        h('td', {}, h('a', { href: href(`policies/${encodeURIComponent(p.name)}`), text: p.name })),
        h('td', { class: 'num', text: String(p.version) }),
        h('td', {}, h('span', { class: 'chips' }, p.assigned_via.map((v) => h('span', { class: 'chip', text: v })))))),
      { emptyText: 'No policy is assigned to this agent or its labels.' }));
  }

  function renderActions(agent) {
    if (lastStatus === agent.status) return;
    lastStatus = agent.status;
    const send = h('a', { class: 'btn', href: href('send', { agent: agentId }), text: 'Send a message' });
    const toggle = agent.status === 'active'
      ? h('button', { type: 'button', class: 'btn danger', id: 'agent-deactivate', text: 'Deactivate' })
      : h('button', { type: 'button', class: 'btn primary', id: 'agent-reactivate', text: 'Reactivate' });
    toggle.addEventListener('click', () => changeStatus(agent.status === 'active' ? 'deactivate' : 'reactivate', toggle));
    fill(actions, send, toggle);
  }

  async function changeStatus(action, button) {
    if (action === 'deactivate') {
      const ok = await confirmAction({
        title: `Deactivate ${agentId}?`,
        text: 'Its live session is closed at once and its session tokens are revoked; it cannot connect until it is reactivated. Messages already queued stay queued.',
        confirmText: 'Deactivate',
        danger: true,
      });
      if (!ok) return;
    }
    button.disabled = true;
    try {
      await api(`${path}/${action}`, { method: 'POST' });
      say(done, action === 'deactivate' ? `${agentId} was deactivated; its session was closed.` : `${agentId} was reactivated; it may connect again.`, 'ok');
      lastStatus = null;
      live.refresh();
    } catch (e) {
      button.disabled = false;
      say(error, `Cannot ${action} ${agentId}: ${e.message}`, 'error');
    }
  }

  return () => live.stop();
}
