// The node's health, read from its own /metrics (so the figures are exactly what Prometheus
// scrapes) and /readyz, every five seconds. Totals are since the node started; rates and the
// "last interval" latency compare two successive readings.

import { metricsText, readiness } from '../api.js';
import { count, fill, h, notice, panel, say, table } from '../dom.js';
import { every } from '../live.js';
import { bucketDelta, bytes, Metrics, quantile, seconds } from '../metrics.js';

const REFRESH_MS = 5000;

export default function healthPage(main, { setTitle }) {
  setTitle('Health');
  const error = notice('error');
  const ready = h('span', { id: 'health-ready' });
  const node = h('span', { class: 'subtle' });
  const cards = h('div', { class: 'stats', id: 'health-cards' });
  const delivery = h('div');
  const messages = h('div');
  const handshakes = h('div');
  const refusals = h('div');
  const closes = h('div');
  const process = h('div');
  let before = null; // {at, metrics}

  const live = every(REFRESH_MS, load);
  fill(main,
    h('div', { class: 'page-head' }, h('h1', { text: 'Health' }), ready, node, h('span', { class: 'spacer' }), live.indicator,
      h('a', { class: 'btn small', href: new URL('../metrics', document.baseURI).href, target: '_blank', rel: 'noopener', text: 'Raw /metrics' })),
    error,
    h('p', { class: 'subtle', text: 'This node\'s figures from its /metrics endpoint. Totals count since the node started; rates compare the last two readings. In a cluster, each node reports its own sessions and handshakes; the queue depth covers all nodes.' }),
    cards,
    h('div', { class: 'grid-3' },
      panel('Delivery latency', delivery, { id: 'health-delivery', flush: true }),
      panel('Messages', messages, { id: 'health-messages', flush: true }),
      panel('Handshakes', handshakes, { id: 'health-handshakes', flush: true }),
      panel('Refused upgrades', refusals, { id: 'health-refusals', flush: true }),
      panel('Sessions closed', closes, { id: 'health-closes', flush: true }),
      panel('Store and process', process, { id: 'health-process', flush: true })));

  async function load() {
    let text;
    const readyState = await readiness();
    fill(ready, h('span', { class: `badge ${readyState.ready ? 'ok' : 'danger'}`, title: readyState.message, text: readyState.ready ? 'ready' : 'not ready' }));
    try {
      text = await metricsText();
    } catch (e) {
      say(error, `Cannot read /metrics: ${e.message}`, 'error');
      throw e;
    }
    say(error, '');
    const now = { at: Date.now(), metrics: Metrics.of(text) };
    render(now.metrics, before);
    before = now;
  }

  function rate(name, match, m, prev) {
    if (!prev) return null;
    const a = m.sum(name, match);
    const b = prev.metrics.sum(name, match);
    if (a === null || b === null) return null;
    return Math.max(0, (a - b) / ((Date.now() - prev.at) / 1000));
  }

  function perSecond(value) {
    return value === null ? '—' : `${value < 10 ? value.toFixed(1) : Math.round(value).toLocaleString()}/s`;
  }

  function render(m, prev) {
    const anySample = m.samples.find((s) => s.labels.node);
    node.textContent = anySample ? `node ${anySample.labels.node}` : '';

    const latency = m.buckets('aegis_delivery_latency_seconds');
    const recent = prev ? bucketDelta(latency, prev.metrics.buckets('aegis_delivery_latency_seconds')) : [];
    const hsOk = m.sum('aegis_handshakes_seconds_count', { outcome: 'ok' });
    const hsAll = m.sum('aegis_handshakes_seconds_count');
    const refused = m.sum('aegis_upgrades_refused_total');
    fill(cards,
      card('Sessions open', count(m.sum('aegis_sessions_open')), `${count(m.sum('aegis_handshakes_pending'))} handshakes in progress`, 'sessions'),
      card('Queue depth', count((m.sum('aegis_queue_depth', { status: 'pending' }) || 0) + (m.sum('aegis_queue_depth', { status: 'sent' }) || 0)),
        `${count(m.sum('aegis_queue_depth', { status: 'pending' }))} pending · ${count(m.sum('aegis_queue_depth', { status: 'sent' }))} awaiting ack`, 'queue'),
      card('Delivery latency p99', seconds(quantile(0.99, latency)), `p50 ${seconds(quantile(0.5, latency))} · since start`, 'latency'),
      card('Handshakes', count(hsAll), `${count(hsOk)} ok · ${perSecond(rate('aegis_handshakes_seconds_count', {}, m, prev))}`, 'handshakes'),
      card('Refused upgrades', count(refused ?? 0), perSecond(rate('aegis_upgrades_refused_total', {}, m, prev)), 'refusals'));

    const outcomes = m.by('aegis_messages_total', 'outcome');
    const latencyRows = [
      ['p50', quantile(0.5, latency), quantile(0.5, recent)],
      ['p95', quantile(0.95, latency), quantile(0.95, recent)],
      ['p99', quantile(0.99, latency), quantile(0.99, recent)],
    ];
    const mean = (m.sum('aegis_delivery_latency_seconds_sum') || 0) / (m.sum('aegis_delivery_latency_seconds_count') || NaN);
    fill(delivery,
      table('Delivery latency, from acceptance to acknowledgement', [{ title: 'Latency' }, { title: 'Since start', num: true }, { title: 'Recent', num: true }],
        [...latencyRows.map(([q, all, last]) => h('tr', {}, h('th', { scope: 'row', text: q }), h('td', { class: 'num', text: seconds(all) }), h('td', { class: 'num', text: seconds(last) }))),
          h('tr', {}, h('th', { scope: 'row', text: 'mean' }), h('td', { class: 'num', text: seconds(mean) }), h('td', { class: 'num', text: '' }))]));
    fill(messages, table('Messages by outcome', [{ title: 'Messages' }, { title: 'Total', num: true }, { title: 'Rate', num: true }],
        Object.keys(outcomes).sort().map((o) => h('tr', { dataset: { outcome: o } }, h('th', { scope: 'row', text: o }),
          h('td', { class: 'num', text: count(outcomes[o]) }), h('td', { class: 'num', text: perSecond(rate('aegis_messages_total', { outcome: o }, m, prev)) }))),
        { emptyText: 'No message yet.' }));

    const hs = m.by('aegis_handshakes_seconds_count', 'outcome');
    const hsMean = (m.sum('aegis_handshakes_seconds_sum', { outcome: 'ok' }) || 0) / (hsOk || NaN);
    fill(handshakes, table('Handshakes by outcome', [{ title: 'Outcome' }, { title: 'Total', num: true }, { title: 'Rate', num: true }],
      [...Object.keys(hs).sort().map((o) => h('tr', { dataset: { outcome: o } }, h('th', { scope: 'row', text: o }),
        h('td', { class: 'num', text: count(hs[o]) }), h('td', { class: 'num', text: perSecond(rate('aegis_handshakes_seconds_count', { outcome: o }, m, prev)) }))),
      h('tr', {}, h('th', { scope: 'row', text: 'mean time (ok)' }), h('td', { class: 'num', text: seconds(hsMean) }), h('td', {}))],
      { emptyText: 'No handshake yet.' }));

    const reasons = m.by('aegis_upgrades_refused_total', 'reason');
    fill(refusals, table('Refused WebSocket upgrades by reason', [{ title: 'Reason' }, { title: 'Total', num: true }, { title: 'Rate', num: true }],
      Object.keys(reasons).sort().map((r) => h('tr', { dataset: { reason: r } }, h('th', { scope: 'row', text: r }),
        h('td', { class: 'num', text: count(reasons[r]) }), h('td', { class: 'num', text: perSecond(rate('aegis_upgrades_refused_total', { reason: r }, m, prev)) }))),
      { emptyText: 'No upgrade was refused.' }));

    const codes = m.by('aegis_sessions_closed_total', 'code');
    fill(closes, table('Sessions closed by close code', [{ title: 'Close code' }, { title: 'Total', num: true }],
      Object.keys(codes).sort().map((c) => h('tr', {}, h('th', { scope: 'row', text: c }), h('td', { class: 'num', text: count(codes[c]) }))),
      { emptyText: 'No session closed yet.' }));

    const commits = m.sum('aegis_store_commit_seconds_count');
    const commitMean = (m.sum('aegis_store_commit_seconds_sum') || 0) / (commits || NaN);
    const heap = m.sum('jvm_memory_used_bytes', { area: 'heap' });
    const cpu = m.sum('process_cpu_usage');
    fill(process, table('Store and process', [{ title: 'Figure' }, { title: 'Value', num: true }], [
      ['Store commits', `${count(commits)} · ${perSecond(rate('aegis_store_commit_seconds_count', {}, m, prev))}`],
      ['Mean commit time', seconds(commitMean)],
      ['REST requests', `${count(m.sum('http_server_requests_seconds_count'))} · ${perSecond(rate('http_server_requests_seconds_count', {}, m, prev))}`],
      ['Heap used', bytes(heap)],
      ['Resident memory', bytes(m.sum('process_memory_rss_bytes'))],
      ['Process CPU', cpu === null ? '—' : `${(cpu * 100).toFixed(1)} %`],
      ['Uptime', m.sum('process_uptime_seconds') === null ? '—' : uptime(m.sum('process_uptime_seconds'))],
    ].map(([k, v]) => h('tr', {}, h('th', { scope: 'row', text: k }), h('td', { class: 'num', text: v })))));
  }

  return () => live.stop();
}

function card(title, value, detail, id) {
  return h('div', { class: 'stat', dataset: { figure: id } },
    h('span', { class: 'label', text: title }), h('span', { class: 'value', text: value }), h('span', { class: 'detail', text: detail }));
}

function uptime(s) {
  const d = Math.floor(s / 86400);
  const hh = Math.floor((s % 86400) / 3600);
  const mm = Math.floor((s % 3600) / 60);
  return d ? `${d}d ${hh}h` : hh ? `${hh}h ${mm}m` : `${mm}m ${Math.floor(s % 60)}s`;
}
