// The top entries of a V8 CPU profile (node --cpu-prof): self time by function and by package, as shares of
// the busy time (idle excluded) within a window of the monotonic clock (the load, not the start-up); V8's
// sample times and process.hrtime are both CLOCK_MONOTONIC on Linux.
import { readFileSync } from 'node:fs';

const place = (url) =>
  url
    .replace(/^file:\/\/.*?\/node_modules\/((@[^/]+\/)?[^/]+)\/.*/, '$1')
    .replace(/^file:\/\/.*?\/(apps|libs)\/([^/]+)\/.*/, '$1/$2');

/** `window`: [from, to] in µs of process.hrtime (monotonic); samples outside it are left out. */
export function flameSummary(file, top = 12, window = [0, Infinity]) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  let total = 0;
  let at = profile.startTime;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    at += dt;
    if (at < window[0] || at > window[1]) return;
    if (nodes.get(id).callFrame.functionName === '(idle)') return;
    self.set(id, (self.get(id) ?? 0) + dt);
    total += dt;
  });
  const byFunction = new Map();
  const byPackage = new Map();
  for (const [id, t] of self) {
    const f = nodes.get(id).callFrame;
    const where = f.url ? place(f.url) : '';
    const file = f.url
      .replace(/^file:\/\/.*?\/node_modules\//, '')
      .replace(/^file:\/\/.*?\/((?:apps|libs)\/)/, '$1');
    const fn = `${f.functionName || '(anonymous)'}${file ? ` ${file}:${f.lineNumber + 1}` : ''}`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + t);
    const pkg = where || f.functionName;
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + t);
  }
  const rank = (m) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, t]) => ({ name, percent: (100 * t) / total }));
  return { sampledSeconds: total / 1e6, byFunction: rank(byFunction), byPackage: rank(byPackage) };
}

export function flameMarkdown(title, s) {
  const rows = (list) => list.map((e) => `| ${e.percent.toFixed(1)} % | \`${e.name}\` |`).join('\n');
  return [
    `#### ${title} (${s.sampledSeconds.toFixed(1)} s busy during the load)`,
    '',
    '| self | by package |',
    '| --- | --- |',
    rows(s.byPackage),
    '',
    '| self | by function |',
    '| --- | --- |',
    rows(s.byFunction),
  ].join('\n');
}
