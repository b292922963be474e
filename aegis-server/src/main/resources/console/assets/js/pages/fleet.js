// The fleet: counts by state and one page of agents, both filtered in the gateway
// (GET /api/v1/fleet/summary and /api/v1/fleet/agents), refreshed every few seconds.

import { api } from '../api.js';
import { agentHref, href } from '../href.js';
import { badge, count, fill, h, labelChips, notice, parseSelectors, refreshKeepingFocus, say, table, timeAgo } from '../dom.js';
import { every } from '../live.js';

const REFRESH_MS = 3000;
const STATES = [
  { id: '', title: 'All agents', tone: '' },
  { id: 'connected', title: 'Connected', tone: 'ok' },
  { id: 'offline', title: 'Offline', tone: '' },
  { id: 'inactive', title: 'Inactive', tone: 'danger' },
];
// Columns of the table. A later column (say, pending approvals) is one entry here.
const COLUMNS = [
  { title: 'Agent', cell: (a) => h('a', { href: agentHref(a.agent_id), class: 'mono', dataset: { focusKey: `agent:${a.agent_id}` }, text: a.agent_id }) },
  { title: 'State', cell: (a) => badge(a.state) },
  { title: 'Transport', cell: (a) => a.transport ? (a.transport === 'websocket' ? 'WebSocket' : 'HTTP polling') : h('span', { class: 'subtle', text: '—' }) },
  { title: 'Node', cell: (a) => a.node_id ? h('span', { class: 'mono', text: a.node_id }) : h('span', { class: 'subtle', text: '—' }) },
  { title: 'Last seen', cell: (a) => timeAgo(a.last_seen), nowrap: true },
  { title: 'Labels', cell: (a) => labelChips(a.labels) },
];

export default function fleetPage(main, { query, replaceQuery, setTitle }) {
  setTitle('Fleet');
  const filter = {
    q: query.get('q') || '',
    labels: query.getAll('label'),
    state: query.get('state') || '',
    limit: Number(query.get('limit')) || 50,
  };
  // Keyset pages: the cursor of the page shown, and the ones before it (for "Previous").
  let cursor = null;
  const previous = [];

  const error = notice('error');
  const stats = h('div', { class: 'stats', role: 'group', 'aria-label': 'Agents by state (select to filter)' });
  const summaryText = h('p', { class: 'visually-hidden', 'aria-live': 'polite' });
  const results = h('div', { id: 'fleet-results' });
  const pageInfo = h('span', { class: 'subtle', 'aria-live': 'polite' });
  const prevButton = h('button', { type: 'button', class: 'btn small', text: '‹ Previous', disabled: true });
  const nextButton = h('button', { type: 'button', class: 'btn small', text: 'Next ›', disabled: true });
  let nextCursor = null;

  const search = h('input', { id: 'fleet-q', type: 'search', value: filter.q, placeholder: 'Part of an agent id', autocomplete: 'off', spellcheck: 'false' });
  const labelsInput = h('input', { id: 'fleet-labels', type: 'text', value: filter.labels.join(', '), placeholder: 'env=prod, site=paris', autocomplete: 'off', spellcheck: 'false', 'aria-describedby': 'fleet-labels-error' });
  const labelsError = h('span', { id: 'fleet-labels-error', class: 'error-text', 'aria-live': 'polite' });
  const stateSelect = h('select', { id: 'fleet-state' }, STATES.map((s) => h('option', { value: s.id, selected: s.id === filter.state, text: s.id ? s.title : 'Any' })));
  const limitSelect = h('select', { id: 'fleet-limit' }, [25, 50, 100, 250].map((n) => h('option', { value: n, selected: n === filter.limit, text: String(n) })));
  const clear = h('button', { type: 'button', class: 'btn', text: 'Clear filters' });

  const live = every(REFRESH_MS, load);

  function changed() {
    cursor = null;
    previous.length = 0;
    replaceQuery(href('fleet', { q: filter.q, label: filter.labels, state: filter.state, limit: filter.limit === 50 ? '' : filter.limit }));
    live.refresh();
  }

  let typing = null;
  search.addEventListener('input', () => {
    clearTimeout(typing);
    typing = setTimeout(() => { filter.q = search.value.trim(); changed(); }, 300);
  });
  labelsInput.addEventListener('change', () => {
    try {
      filter.labels = parseSelectors(labelsInput.value);
      labelsInput.removeAttribute('aria-invalid');
      labelsError.textContent = '';
      changed();
    } catch (e) {
      labelsInput.setAttribute('aria-invalid', 'true');
      labelsError.textContent = `${e.message}: write labels as name=value`;
    }
  });
  stateSelect.addEventListener('change', () => { filter.state = stateSelect.value; changed(); });
  limitSelect.addEventListener('change', () => { filter.limit = Number(limitSelect.value); changed(); });
  clear.addEventListener('click', () => {
    filter.q = ''; filter.labels = []; filter.state = '';
    search.value = ''; labelsInput.value = ''; stateSelect.value = '';
    labelsInput.removeAttribute('aria-invalid');
    labelsError.textContent = '';
    changed();
  });
  prevButton.addEventListener('click', () => { cursor = previous.pop() ?? null; live.refresh(); });
  nextButton.addEventListener('click', () => { previous.push(cursor); cursor = nextCursor; live.refresh(); });

  fill(main,
    h('div', { class: 'page-head' }, h('h1', { text: 'Fleet' }), h('span', { class: 'spacer' }), live.indicator),
    error,
    stats,
    summaryText,
    h('section', { class: 'panel', 'aria-label': 'Agents' },
      h('div', { class: 'toolbar', role: 'search', 'aria-label': 'Filter agents' },
        h('div', { class: 'field grow' }, h('label', { for: 'fleet-q', text: 'Search' }), search),
        h('div', { class: 'field grow' }, h('label', { for: 'fleet-labels', text: 'Labels (all must match)' }), labelsInput, labelsError),
        h('div', { class: 'field' }, h('label', { for: 'fleet-state', text: 'State' }), stateSelect),
        h('div', { class: 'field' }, h('label', { for: 'fleet-limit', text: 'Rows' }), limitSelect),
        h('div', { class: 'field button' }, clear)),
      results,
      h('div', { class: 'pager' }, pageInfo, h('span', { class: 'spacer' }), prevButton, nextButton)));

  async function load() {
    const common = { q: filter.q, label: filter.labels };
    try {
      const [summary, page] = await Promise.all([
        api('api/v1/fleet/summary', { query: common }),
        api('api/v1/fleet/agents', { query: { ...common, state: filter.state, limit: filter.limit, cursor } }),
      ]);
      say(error, '');
      renderStats(summary);
      nextCursor = page.next_cursor || null;
      refreshKeepingFocus(results, () => table('Agents', COLUMNS,
        page.agents.map((a) => h('tr', { dataset: { agentId: a.agent_id, state: a.state } },
          COLUMNS.map((c) => h('td', { class: c.nowrap ? 'nowrap' : null }, c.cell(a))))),
        { emptyText: filter.q || filter.labels.length || filter.state ? 'No agent matches these filters.' : 'No agent is registered yet. Register one with POST /api/v1/agents or an enrollment token.' }));
      const first = previous.length * filter.limit + 1;
      pageInfo.textContent = page.agents.length ? `Showing ${count(first)}–${count(first + page.agents.length - 1)}` : '';
      prevButton.disabled = previous.length === 0;
      nextButton.disabled = !nextCursor;
    } catch (e) {
      say(error, `Cannot load the fleet: ${e.message}`, 'error');
      throw e;
    }
  }

  function renderStats(summary) {
    const states = summary.states || {};
    const values = { '': summary.total, connected: states.connected, offline: states.offline, inactive: states.inactive };
    const transports = summary.transports || {};
    refreshKeepingFocus(stats, () => STATES.map((s) => {
      const button = h('button', {
        type: 'button', class: 'stat', 'aria-pressed': String(filter.state === s.id),
        dataset: { stat: s.id || 'total', focusKey: `stat:${s.id}` },
      },
      h('span', { class: 'label' }, s.tone ? h('span', { class: `dot ${s.tone}`, 'aria-hidden': 'true' }) : null, s.title),
      h('span', { class: 'value', text: count(values[s.id]) }),
      s.id === 'connected'
        ? h('span', { class: 'detail', text: `${count(transports.websocket)} WebSocket · ${count(transports.http)} HTTP` })
        : h('span', { class: 'detail', text: s.id === '' ? 'registered' : s.id === 'offline' ? 'active, not connected' : s.id === 'inactive' ? 'deactivated' : '' }));
      button.addEventListener('click', () => {
        filter.state = filter.state === s.id ? '' : s.id;
        stateSelect.value = filter.state;
        changed();
      });
      return button;
    }));
    summaryText.textContent = `${count(summary.total)} agents: ${count(states.connected)} connected, ${count(states.offline)} offline, ${count(states.inactive)} inactive.`;
  }

  return () => { live.stop(); clearTimeout(typing); };
}
