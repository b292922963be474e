// Approvals: the sends and broadcasts the gateway keeps for a second operator
// (GET /api/v1/approvals, docs/API.md "Approvals"), with what each asks, and Approve / Reject
// (POST …/approve, …/reject). The gateway decides who may: the token that asked cannot approve
// its own request, and its refusal is shown as it words it.

import { api } from '../api.js';
import { confirmAction } from '../dialog.js';
import { agentHref, href } from '../href.js';
import { badge, count, fill, h, json, jsonPreview, notice, panel, refreshKeepingFocus, say, table, timeAgo, when } from '../dom.js';
import { every } from '../live.js';

const REFRESH_MS = 3000;
const PAGE = 100;
const STATUSES = ['awaiting_approval', 'approved', 'rejected', 'expired'];

/** Whom it is for: a send's agent (a link), or a broadcast's number of agents when it was asked. */
function target(a) {
  if (a.kind === 'send') return h('a', { href: agentHref(a.agent_id), class: 'mono', text: a.agent_id });
  return `${a.recipients} agent${a.recipients === 1 ? '' : 's'}`;
}

function targetText(a) {
  return a.kind === 'send' ? a.agent_id : `${a.recipients} agent${a.recipients === 1 ? '' : 's'}`;
}

/** The message asked for, on one line. */
function preview(request) {
  return request && request.message !== undefined ? jsonPreview(request.message, 60) : 'request';
}

function messageHref(messageId) {
  return href(`messages/${encodeURIComponent(messageId)}`);
}

/**
 * Fills the notice `el` for the 202 answer of a send or broadcast kept for approval: nothing went
 * out, why, and where a second operator approves it.
 */
export function showAwaitingApproval(el, answer) {
  el.className = 'notice info';
  fill(el, `Not sent yet: ${answer.reason}. It awaits a second operator's approval (until ${when(answer.expires_at)}); see `,
    h('a', { href: href('approvals'), dataset: { approvalId: answer.approval_id }, text: 'Approvals' }), '.');
}

export default function approvalsPage(main, { query, replaceQuery, setTitle }) {
  setTitle('Approvals');
  let status = STATUSES.includes(query.get('status')) || query.get('status') === 'all' ? query.get('status') : 'awaiting_approval';
  // Two notices: one for loading (cleared by the next refresh that works), one for what the user
  // did (kept until the next action, so that a refusal stays on screen to be read).
  const loadError = notice('error');
  const error = notice('error');
  const done = notice('ok');
  const list = h('div', { id: 'approvals-list' });
  const more = h('p', { class: 'subtle' });
  // Approvals being decided: their buttons stay disabled across refreshes until the answer comes.
  const busy = new Set();

  const statusSelect = h('select', { id: 'approvals-status', 'aria-label': 'Show approvals with status' },
    STATUSES.map((s) => h('option', { value: s, selected: s === status, text: s === 'awaiting_approval' ? 'Awaiting approval' : s })),
    h('option', { value: 'all', selected: status === 'all', text: 'Any status' }));
  statusSelect.addEventListener('change', () => {
    status = statusSelect.value;
    replaceQuery(href('approvals', { status: status === 'awaiting_approval' ? '' : status }));
    live.refresh();
  });

  const live = every(REFRESH_MS, load);
  fill(main,
    h('div', { class: 'page-head' }, h('h1', { text: 'Approvals' }), h('span', { class: 'spacer' }), live.indicator),
    h('p', { class: 'subtle', text: 'Sends on the channels of AEGIS_APPROVAL_CHANNELS, and broadcasts to more agents than AEGIS_APPROVAL_THRESHOLD, are not sent until a second operator approves them: a token with the approve scope other than the one that asked. Unapproved, they expire and are never sent.' }),
    loadError,
    error,
    done,
    panel('Requests', h('div', {}, list, more), { id: 'approvals', flush: true, actions: statusSelect }));

  async function load() {
    let page;
    try {
      page = await api('api/v1/approvals', { query: { status: status === 'all' ? '' : status, limit: PAGE } });
    } catch (e) {
      say(loadError, `Cannot load the approvals: ${e.message}`, 'error');
      throw e;
    }
    say(loadError, '');
    refreshKeepingFocus(list, () => table('Approvals, newest first',
      [{ title: 'Kind' }, { title: 'Channel' }, { title: 'To' }, { title: 'Reason' }, { title: 'Requested by' },
        { title: 'Asked' }, { title: 'Expires' }, { title: 'Request' }, { title: 'Decision' }],
      page.approvals.map(row),
      { emptyText: status === 'awaiting_approval' ? 'Nothing awaits approval.' : 'No approval with this status.' }));
    more.textContent = page.next_cursor ? `Showing the newest ${PAGE}.` : '';
  }

  function row(a) {
    return h('tr', { dataset: { approvalId: a.approval_id, status: a.status } },
      h('td', { text: a.kind }),
      h('td', {}, h('code', { text: a.channel })),
      h('td', { class: 'nowrap' }, target(a)),
      h('td', { text: a.reason }),
      h('td', { title: a.requested_by.token_id, text: a.requested_by.name }),
      h('td', { class: 'nowrap' }, timeAgo(a.created_at)),
      h('td', { class: 'nowrap' }, timeAgo(a.expires_at)),
      h('td', {}, h('details', {}, h('summary', { class: 'mono', dataset: { focusKey: `request:${a.approval_id}` }, text: preview(a.request) }), json(a.request))),
      h('td', { class: 'nowrap' }, a.status === 'awaiting_approval' ? decide(a) : decision(a)));
  }

  function decide(a) {
    const what = `${a.kind} on ${a.channel} to ${targetText(a)}`;
    const approve = h('button', { type: 'button', class: 'btn small primary', 'aria-label': `Approve the ${what}`, dataset: { action: 'approve', focusKey: `approve:${a.approval_id}` }, disabled: busy.has(a.approval_id), text: 'Approve' });
    const reject = h('button', { type: 'button', class: 'btn small danger', 'aria-label': `Reject the ${what}`, dataset: { action: 'reject', focusKey: `reject:${a.approval_id}` }, disabled: busy.has(a.approval_id), text: 'Reject' });
    approve.addEventListener('click', () => act(a, 'approve', what));
    reject.addEventListener('click', () => act(a, 'reject', what));
    return h('div', { class: 'actions' }, approve, reject);
  }

  function decision(a) {
    const by = a.decided_by ? ` by ${a.decided_by.name}` : '';
    const messageId = a.result && a.result.message_id;
    const refused = a.result && a.result.error;
    return [badge(a.status), by,
      messageId ? [' · ', h('a', { href: messageHref(messageId), class: 'mono', title: messageId, text: 'message' })] : null,
      refused ? h('div', { class: 'subtle', text: `refused: ${a.result.error.message}` }) : null];
  }

  async function act(a, action, what) {
    if (action === 'approve') {
      const ok = await confirmAction({
        title: `Approve this ${a.kind}?`,
        text: `The ${what} is sent at once, as ${a.requested_by.name} asked it (${a.reason}).`,
        confirmText: 'Approve and send',
      });
      if (!ok) {
        // A refresh while the dialog was open replaced the button it returns focus to.
        const again = list.querySelector(`[data-focus-key="approve:${CSS.escape(a.approval_id)}"]`);
        if (again && !list.contains(document.activeElement)) again.focus();
        return;
      }
    }
    busy.add(a.approval_id);
    live.refresh();
    say(error, '');
    say(done, '');
    try {
      const decided = await api(`api/v1/approvals/${encodeURIComponent(a.approval_id)}/${action}`, { method: 'POST' });
      showDecided(decided, what);
    } catch (e) {
      say(error, `Cannot ${action} the ${what}: ${e.message}`, 'error');
    } finally {
      busy.delete(a.approval_id);
      live.refresh();
    }
  }

  function showDecided(a, what) {
    if (a.status === 'rejected') {
      say(done, `Rejected: the ${what} will not be sent.`, 'ok');
      return;
    }
    const result = a.result || {};
    if (result.error) {
      say(error, `Approved, but the gateway refused the ${a.kind}: ${result.error.message}`, 'error');
      return;
    }
    const c = result.counts;
    done.className = 'notice ok';
    const outcome = c
      ? `: sent to ${count(c.sent_to)} connected agents, queued for ${count(c.queued)}${c.failed ? `, not sent to ${count(c.failed)}` : ''}`
      : result.status === 'queued' ? ': queued until the agent connects' : ': sent, awaiting its acknowledgement';
    fill(done, `Approved: the ${what} went out as message `,
      h('a', { href: messageHref(result.message_id), class: 'mono', dataset: { messageId: result.message_id }, text: result.message_id }),
      `${outcome}. Follow its delivery there.`);
  }

  return () => live.stop();
}
