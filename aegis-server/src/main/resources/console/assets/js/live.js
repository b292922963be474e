// "Live" pages refresh by asking again every few seconds (see docs/console.md, "How live works").
// One request at a time per page (the next one is scheduled when the previous answered), none while
// the tab is hidden, and the indicator says when the figures were last fetched.

import { h } from './dom.js';

/**
 * Runs `load()` now and then every `intervalMs` after each run finishes. `load` may throw: the
 * indicator turns stale and the next run retries. Returns {stop, refresh, pause, resume, indicator}.
 */
export function every(intervalMs, load, { label = 'Live' } = {}) {
  let timer = null;
  let running = false;
  let stopped = false;
  let paused = false;
  let lastOk = null;

  const text = h('span', { text: 'Loading…' });
  const pauseButton = h('button', { type: 'button', class: 'btn small', 'aria-pressed': 'false', text: 'Pause' });
  const indicator = h('span', { class: 'live', role: 'status', 'aria-live': 'off' }, h('span', { class: 'dot', 'aria-hidden': 'true' }), text, pauseButton);

  function show(stale) {
    indicator.classList.toggle('paused', paused);
    indicator.classList.toggle('stale', stale && !paused);
    const at = lastOk ? lastOk.toLocaleTimeString() : null;
    if (paused) text.textContent = at ? `Paused · updated ${at}` : 'Paused';
    else if (stale) text.textContent = at ? `Not updating (last ${at}) · retrying` : 'Not updating · retrying';
    else text.textContent = `${label} · updated ${at}`;
    indicator.dataset.updated = lastOk ? String(lastOk.getTime()) : '';
  }

  async function tick(force = false) {
    timer = null;
    if (stopped || running || (paused && !force)) return;
    if (document.hidden && !force) return; // visibilitychange resumes it
    running = true;
    let stale = false;
    try {
      await load();
      lastOk = new Date();
    } catch (e) {
      stale = true;
    } finally {
      running = false;
    }
    if (stopped) return;
    show(stale);
    schedule();
  }

  function schedule() {
    clearTimeout(timer);
    timer = stopped || paused ? null : setTimeout(tick, intervalMs);
  }

  function onVisibility() {
    if (!document.hidden && timer === null && !running) tick();
  }

  pauseButton.addEventListener('click', () => {
    paused = !paused;
    pauseButton.textContent = paused ? 'Resume' : 'Pause';
    pauseButton.setAttribute('aria-pressed', String(paused));
    show(false);
    if (paused) clearTimeout(timer);
    else tick();
  });
  document.addEventListener('visibilitychange', onVisibility);
  tick();

  return {
    indicator,
    /** Runs now (after a change the user made), then on the usual schedule. */
    refresh() {
      clearTimeout(timer);
      timer = null;
      if (running) setTimeout(() => this.refresh(), 50);
      else tick(true);
    },
    stop() {
      stopped = true;
      clearTimeout(timer);
      document.removeEventListener('visibilitychange', onVisibility);
    },
  };
}
