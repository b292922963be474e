// Console links: routes live in the URL fragment (#/agents/web-01?…), never in the path or a
// query string the gateway would see.

/** The console's fragment for `path` and query parameters (empty values dropped, arrays repeated). */
export function href(path, query = {}) {
  const q = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    for (const v of [].concat(value)) if (v !== undefined && v !== null && v !== '') q.append(key, v);
  }
  const s = q.toString();
  return `#/${path}${s ? `?${s}` : ''}`;
}

/** The fragment of an agent's page. */
export function agentHref(agentId) {
  return href(`agents/${encodeURIComponent(agentId)}`);
}
