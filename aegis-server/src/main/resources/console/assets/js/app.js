// The console's entry point: sign-in, the page shell (top bar, navigation, main area) and the
// router. Routes live in the URL fragment (#/fleet, #/agents/web-01…), so the gateway serves one
// page, links and the back button work, and no route ever reaches a server log.

import { api, ApiError, onUnauthorized, session } from './api.js';
import { h, fill, notice, say } from './dom.js';
import fleetPage from './pages/fleet.js';
import agentPage from './pages/agent.js';
import { sendPage, broadcastPage } from './pages/send.js';
import messagePage from './pages/message.js';
import { policiesPage, policyPage } from './pages/policies.js';
import approvalsPage from './pages/approvals.js';
import healthPage from './pages/health.js';

// The side navigation. A new view is one entry here and one route below.
const NAV = [
  { id: 'fleet', title: 'Fleet', icon: '▦', href: '#/fleet' },
  { id: 'send', title: 'Send & broadcast', icon: '➤', href: '#/send' },
  { id: 'approvals', title: 'Approvals', icon: '✓', href: '#/approvals' },
  { id: 'policies', title: 'Policies', icon: '☰', href: '#/policies' },
  { id: 'health', title: 'Health', icon: '♥', href: '#/health' },
];

const ROUTES = [
  { pattern: /^fleet$/, nav: 'fleet', page: fleetPage },
  { pattern: /^agents\/([^/]+)$/, nav: 'fleet', page: agentPage, names: ['agentId'] },
  { pattern: /^send$/, nav: 'send', page: sendPage },
  { pattern: /^broadcast$/, nav: 'send', page: broadcastPage },
  { pattern: /^messages\/([^/]+)$/, nav: 'send', page: messagePage, names: ['messageId'] },
  { pattern: /^approvals$/, nav: 'approvals', page: approvalsPage },
  { pattern: /^policies$/, nav: 'policies', page: policiesPage },
  { pattern: /^policies\/([^/]+)$/, nav: 'policies', page: policyPage, names: ['name'] },
  { pattern: /^health$/, nav: 'health', page: healthPage },
];

const root = document.getElementById('app');
let cleanup = null;
let main = null;
let navLinks = new Map();

/** Parses the fragment into {path, query}. */
function currentRoute() {
  const raw = window.location.hash.replace(/^#\/?/, '');
  const [path, search = ''] = raw.split('?');
  return { path: path || 'fleet', query: new URLSearchParams(search) };
}

function showSignIn(message, kind = 'info') {
  stopPage();
  main = null;
  const status = notice(kind);
  const input = h('input', {
    id: 'token', name: 'token', type: 'password', required: true, autocomplete: 'off', spellcheck: 'false',
    'aria-describedby': 'token-hint', placeholder: 'aegis_op_…',
  });
  const button = h('button', { type: 'submit', class: 'btn primary', text: 'Sign in' });
  // method=post and CSP form-action 'none': even if this script failed, the token could never be
  // submitted into a URL.
  const form = h('form', { method: 'post', novalidate: true, 'aria-labelledby': 'signin-title' },
    h('div', { class: 'field' },
      h('label', { for: 'token', text: 'Operator token' }),
      input,
      h('span', { id: 'token-hint', class: 'hint', text: 'Printed by the gateway at its first start, or made with: bin/aegis admin create-token' })),
    button);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const token = input.value.trim();
    if (!token) {
      say(status, 'Enter an operator token.', 'error');
      input.setAttribute('aria-invalid', 'true');
      input.focus();
      return;
    }
    button.disabled = true;
    say(status, 'Checking the token…', 'info');
    try {
      await api('api/v1/fleet/summary', { token });
      session.signIn(token);
      input.value = '';
      showShell();
    } catch (e) {
      button.disabled = false;
      input.setAttribute('aria-invalid', 'true');
      say(status, signInError(e), 'error');
      input.focus();
      input.select();
    }
  });
  fill(root, h('div', { class: 'signin' },
    h('main', { class: 'card' },
      h('div', { class: 'brand' }, h('img', { src: assetUrl('favicon.svg'), alt: '' }), 'Aegis', h('small', { text: 'Gateway console' })),
      h('h1', { id: 'signin-title', class: 'visually-hidden', text: 'Sign in' }),
      status,
      form,
      h('p', { class: 'fine', text: 'The token stays in this browser tab only (session storage) and is sent to the gateway in the Authorization header; closing the tab forgets it.' }))));
  root.classList.remove('loading');
  root.removeAttribute('aria-busy');
  say(status, message || '', kind);
  document.title = 'Sign in · Aegis console';
  input.focus();
}

function signInError(e) {
  if (e instanceof ApiError) {
    if (e.status === 401) return 'The gateway does not accept this token. Check it, or make another with bin/aegis admin create-token.';
    if (e.status === 403) return 'This is not an operator token (an agent session token cannot use the console).';
    return e.message;
  }
  return String(e);
}

function assetUrl(name) {
  // The stylesheet's URL names the versioned assets directory.
  const css = document.querySelector('link[rel="stylesheet"]');
  return new URL(name, css.href).href;
}

function showShell() {
  navLinks = new Map();
  main = h('main', { id: 'main', class: 'content', tabindex: '-1' });
  const skip = h('a', { class: 'skip-link', href: '#main', text: 'Skip to content' });
  skip.addEventListener('click', (event) => {
    event.preventDefault();
    main.focus();
  });
  const signOut = h('button', { type: 'button', id: 'sign-out', class: 'btn small', text: 'Sign out' });
  signOut.addEventListener('click', () => {
    session.signOut();
    showSignIn('Signed out. The token was removed from this tab.', 'info');
  });
  const nav = h('nav', { class: 'sidenav', 'aria-label': 'Main' },
    h('ul', {}, NAV.map((item) => {
      const link = h('a', { href: item.href }, h('span', { class: 'icon', 'aria-hidden': 'true', text: item.icon }), item.title);
      navLinks.set(item.id, link);
      return h('li', {}, link);
    })));
  fill(root, skip, h('div', { class: 'shell' },
    h('header', { class: 'topbar' },
      h('a', { class: 'brand', href: '#/fleet' }, h('img', { src: assetUrl('favicon.svg'), alt: '' }), 'Aegis', h('small', { text: 'console' })),
      h('span', { class: 'spacer' }),
      h('span', { class: 'node', text: window.location.host }),
      signOut),
    nav,
    main));
  root.classList.remove('loading');
  root.removeAttribute('aria-busy');
  route(false);
}

function stopPage() {
  if (cleanup) {
    try {
      cleanup();
    } catch (e) {
      console.error(e);
    }
  }
  cleanup = null;
}

function route(moveFocus = true) {
  if (!session.token()) {
    showSignIn();
    return;
  }
  if (!main) return;
  stopPage();
  const { path, query } = currentRoute();
  const match = ROUTES.map((r) => ({ r, m: r.pattern.exec(path) })).find((x) => x.m);
  for (const [id, link] of navLinks) {
    if (match && match.r.nav === id) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  main.replaceChildren();
  if (!match) {
    fill(main, h('h1', { tabindex: '-1', text: 'Not found' }), h('p', {}, 'No such page. ', h('a', { href: '#/fleet', text: 'Go to the fleet' })));
    document.title = 'Not found · Aegis console';
    return;
  }
  const params = {};
  (match.r.names || []).forEach((name, i) => { params[name] = decodeURIComponent(match.m[i + 1]); });
  const context = {
    params,
    query,
    navigate: (to) => { window.location.hash = to; },
    /** Rewrites the fragment's query without a new history entry or a re-render (filters). */
    replaceQuery: (to) => { history.replaceState(null, '', to); },
    setTitle: (title) => { document.title = `${title} · Aegis console`; },
  };
  cleanup = match.r.page(main, context) || null;
  if (moveFocus) {
    const heading = main.querySelector('h1');
    if (heading) {
      heading.setAttribute('tabindex', '-1');
      heading.focus();
    }
  }
}

onUnauthorized(() => {
  session.signOut();
  showSignIn('The gateway no longer accepts your token (revoked, or the gateway changed). Sign in again.', 'error');
});
window.addEventListener('hashchange', () => route(true));

if (session.token()) showShell();
else showSignIn();
