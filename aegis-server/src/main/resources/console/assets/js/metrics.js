// Reading Prometheus text (what /metrics serves), so that the health page shows exactly the
// figures a scraper sees.

/** Parses the text exposition format into samples {name, labels, value}. */
export function parse(text) {
  const samples = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    samples.push({ name: m[1], labels: m[3] ? parseLabels(m[3]) : {}, value: parseValue(m[4]) });
  }
  return samples;
}

function parseLabels(text) {
  const labels = {};
  const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
  let m;
  while ((m = re.exec(text)) !== null) {
    labels[m[1]] = m[2].replace(/\\(.)/g, (_, c) => (c === 'n' ? '\n' : c));
  }
  return labels;
}

function parseValue(v) {
  if (v === '+Inf') return Infinity;
  if (v === '-Inf') return -Infinity;
  return Number(v);
}

/** The samples of one metric as a queryable set. */
export class Metrics {
  constructor(samples) {
    this.samples = samples;
  }

  static of(text) {
    return new Metrics(parse(text));
  }

  /** Samples named `name` whose labels include `match`. */
  select(name, match = {}) {
    return this.samples.filter((s) => s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v));
  }

  /** The sum of the matching samples (null if there is none). */
  sum(name, match = {}) {
    const found = this.select(name, match);
    return found.length ? found.reduce((a, s) => a + s.value, 0) : null;
  }

  /** Sums by the value of label `by`: {labelValue: sum}. */
  by(name, by, match = {}) {
    const out = {};
    for (const s of this.select(name, match)) {
      const key = s.labels[by] ?? '';
      out[key] = (out[key] || 0) + s.value;
    }
    return out;
  }

  /** Cumulative histogram buckets [{le, count}] of `name` (without _bucket), summed over other labels. */
  buckets(name, match = {}) {
    const byLe = new Map();
    for (const s of this.select(`${name}_bucket`, match)) {
      const le = parseValue(s.labels.le);
      byLe.set(le, (byLe.get(le) || 0) + s.value);
    }
    return [...byLe.entries()].map(([le, count]) => ({ le, count })).sort((a, b) => a.le - b.le);
  }
}

/** Bucket counts of `now` minus those of `before` (the observations in between). */
export function bucketDelta(now, before) {
  if (!before) return now;
  const old = new Map(before.map((b) => [b.le, b.count]));
  return now.map((b) => ({ le: b.le, count: b.count - (old.get(b.le) || 0) }));
}

/**
 * The q-quantile of cumulative buckets, interpolating linearly inside the bucket as Prometheus's
 * histogram_quantile does; null without observations.
 */
export function quantile(q, buckets) {
  if (!buckets.length) return null;
  const total = buckets[buckets.length - 1].count;
  if (!(total > 0)) return null;
  const rank = q * total;
  let prevLe = 0;
  let prevCount = 0;
  for (const b of buckets) {
    if (b.count >= rank) {
      if (b.le === Infinity) return prevLe;
      const inBucket = b.count - prevCount;
      return inBucket > 0 ? prevLe + (b.le - prevLe) * ((rank - prevCount) / inBucket) : b.le;
    }
    prevLe = b.le;
    prevCount = b.count;
  }
  return prevLe;
}

/** "850 µs", "12.3 ms", "1.20 s". */
export function seconds(value) {
  if (value === null || value === undefined || Number.isNaN(value)) return '—';
  if (value < 0.001) return `${Math.round(value * 1e6)} µs`;
  if (value < 1) return `${(value * 1000).toFixed(value < 0.01 ? 2 : 1)} ms`;
  return `${value.toFixed(2)} s`;
}

/** "512 MiB". */
export function bytes(value) {
  if (value === null || value === undefined) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = value;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return `${v.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}
