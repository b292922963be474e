// Policies (latest versions) and, for one policy, its document, versions and assignments.

import { api, ApiError } from '../api.js';
import { agentHref, href } from '../href.js';
import { fill, h, json, notice, panel, say, table, timeAt } from '../dom.js';

const PAGE = 50;

/** A paged list: loads `path` and renders rows with "Load more" while the gateway has more. */
function pagedTable(container, path, key, caption, columns, row, emptyText) {
  const items = [];
  let cursor = null;
  const more = h('button', { type: 'button', class: 'btn small', text: 'Load more' });
  const error = notice('error');
  async function load() {
    try {
      const page = await api(path, { query: { limit: PAGE, cursor } });
      items.push(...page[key]);
      cursor = page.next_cursor || null;
      say(error, '');
      fill(container, error, table(caption, columns, items.map(row), { emptyText }), cursor ? h('div', { class: 'pager' }, h('span', { class: 'spacer' }), more) : null);
    } catch (e) {
      say(error, `Cannot load: ${e.message}`, 'error');
      fill(container, error);
    }
  }
  more.addEventListener('click', load);
  load();
}

export function policiesPage(main, { setTitle }) {
  setTitle('Policies');
  const list = h('div');
  fill(main,
    h('div', { class: 'page-head' }, h('h1', { text: 'Policies' })),
    h('p', { class: 'subtle', text: 'Versioned policy documents, pushed to the agents they are assigned to (by agent id or by label). Publish and assign them with the REST API (PUT /api/v1/policies/{name}, POST …/assignments).' }),
    panel('Policies', list, { id: 'policies', flush: true }));
  pagedTable(list, 'api/v1/policies', 'policies', 'Policies, latest versions',
    [{ title: 'Policy' }, { title: 'Version', num: true }, { title: 'Description' }, { title: 'Published' }],
    (p) => h('tr', { dataset: { policy: p.name } },
      h('td', {}, h('a', { href: href(`policies/${encodeURIComponent(p.name)}`), text: p.name })),
      h('td', { class: 'num', text: String(p.version) }),
      h('td', { text: p.description || '' }),
      h('td', { class: 'nowrap' }, timeAt(p.created_at))),
    'No policy yet.');
}

export function policyPage(main, { params, setTitle }) {
  const name = params.name;
  const base = `api/v1/policies/${encodeURIComponent(name)}`;
  setTitle(`Policy ${name}`);
  const error = notice('error');
  const head = h('div', { class: 'page-head' }, h('h1', { text: name }));
  const documentPanel = h('div');
  const assignments = h('div');
  const versions = h('div');
  fill(main,
    h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' }, h('a', { href: href('policies'), text: 'Policies' }), ` / ${name}`),
    head, error,
    h('div', { class: 'grid-2' },
      panel('Document (latest version)', documentPanel, { id: 'policy-document' }),
      panel('Assignments', assignments, { id: 'policy-assignments', flush: true })),
    panel('Versions', versions, { id: 'policy-versions', flush: true }));
  api(base).then((p) => {
    head.append(h('span', { class: 'badge plain', text: `version ${p.version}` }));
    fill(documentPanel, p.description ? h('p', { text: p.description }) : null, json(p.document));
  }).catch((e) => say(error, e instanceof ApiError && e.status === 404 ? `No policy "${name}".` : `Cannot load the policy: ${e.message}`, 'error'));
  pagedTable(assignments, `${base}/assignments`, 'assignments', 'Assignments',
    [{ title: 'Target' }, { title: 'Assigned' }],
    (a) => h('tr', { dataset: { assignment: a.id } },
      h('td', {}, a.target_type === 'agent'
        ? ['agent ', h('a', { href: agentHref(a.target_value), class: 'mono', text: a.target_value })]
        : ['agents labelled ', h('a', { href: href('fleet', { label: a.target_value }), class: 'chip', text: a.target_value })]),
      h('td', { class: 'nowrap' }, timeAt(a.created_at))),
    'Not assigned: no agent receives this policy.');
  pagedTable(versions, `${base}/versions`, 'versions', 'Versions, newest first',
    [{ title: 'Version', num: true }, { title: 'Description' }, { title: 'Published' }],
    (v) => h('tr', {}, h('td', { class: 'num', text: String(v.version) }), h('td', { text: v.description || '' }), h('td', { class: 'nowrap' }, timeAt(v.created_at))),
    'No version.');
}
