import { spawnSync } from 'node:child_process';
import { chownSync, mkdtempSync, readdirSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { UsageEvent } from '@gw/contracts';
import { spoolOwner, UsageSpool } from './spool.js';

const event = (requestId: string) => ({ requestId }) as unknown as UsageEvent;
const dir = () => mkdtempSync(join(tmpdir(), 'gw-spool-spec-'));
const collect = () => {
  const sent: string[] = [];
  return { sent, send: async (e: UsageEvent) => void sent.push(e.requestId) };
};
const MB = 1 << 20;

describe('UsageSpool on a directory shared by replicas', () => {
  it('names its files by host and process, never by process id alone', () => {
    const d = dir();
    expect(spoolOwner()).toMatch(/^[A-Za-z0-9_-]+-\d+$/);
    expect(spoolOwner()).not.toBe(String(process.pid));
    return new UsageSpool(d, MB, 'pod-a')
      .append(event('r1'))
      .then(() => expect(readdirSync(d).sort()).toEqual(['alive.pod-a', 'spool.pod-a.jsonl']));
  });

  it('replays its own events, and leaves a live replica’s alone', async () => {
    const d = dir();
    const a = new UsageSpool(d, MB, 'pod-a');
    const b = new UsageSpool(d, MB, 'pod-b');
    await a.append(event('a1'));
    await b.append(event('b1'));
    await b.append(event('b2'));
    const fromA = collect();
    expect(await a.drain(fromA.send)).toBe(1);
    expect(fromA.sent).toEqual(['a1']);
    const fromB = collect();
    expect(await b.drain(fromB.send)).toBe(2);
    expect(fromB.sent).toEqual(['b1', 'b2']);
  });

  it('claims the files of a replica that is gone, and two claimers replay each event once', async () => {
    const d = dir();
    const gone = new UsageSpool(d, MB, 'pod-gone', 50);
    for (let i = 0; i < 50; i++) await gone.append(event(`g${i}`));
    // Its heartbeat stops: older than the stale bound.
    const old = new Date(Date.now() - 60_000);
    utimesSync(join(d, 'alive.pod-gone'), old, old);
    const a = new UsageSpool(d, MB, 'pod-a', 50);
    const b = new UsageSpool(d, MB, 'pod-b', 50);
    const [fromA, fromB] = [collect(), collect()];
    const [na, nb] = await Promise.all([a.drain(fromA.send), b.drain(fromB.send)]);
    expect(na + nb).toBe(50);
    expect([...fromA.sent, ...fromB.sent].sort()).toEqual(
      Array.from({ length: 50 }, (_, i) => `g${i}`).sort(),
    );
    expect(readdirSync(d).filter((f) => f.endsWith('.jsonl'))).toEqual([]);
  });

  it('frees its spool for others at once on a clean stop, and takes files of an older version by their age', async () => {
    const d = dir();
    const stopping = new UsageSpool(d, MB, 'pod-old');
    await stopping.append(event('s1'));
    await stopping.release();
    writeFileSync(join(d, 'spool-1.jsonl'), JSON.stringify(event('legacy')) + '\n');
    const a = new UsageSpool(d, MB, 'pod-a');
    const first = collect();
    await a.drain(first.send);
    // The older version's file was just written (its process may still be appending): not yet.
    expect(first.sent).toEqual(['s1']);
    const old = new Date(Date.now() - 60_000);
    utimesSync(join(d, 'spool-1.jsonl'), old, old);
    const second = collect();
    await a.drain(second.send);
    expect(second.sent).toEqual(['legacy']);
  });

  it('keeps a claimed file when a send fails, and replays it on the next drain', async () => {
    const d = dir();
    const a = new UsageSpool(d, MB, 'pod-a');
    await a.append(event('x1'));
    await a.append(event('x2'));
    await expect(
      a.drain(async () => {
        throw new Error('nats down');
      }),
    ).rejects.toThrow('nats down');
    const later = collect();
    expect(await a.drain(later.send)).toBe(2);
    expect(later.sent).toEqual(['x1', 'x2']);
  });

  it('never reads or claims a link, a FIFO or another user’s file planted in the directory', async () => {
    const d = dir();
    symlinkSync('/dev/zero', join(d, 'spool.pod-link.jsonl'));
    spawnSync('mkfifo', [join(d, 'draining.pod-fifo.000000000000001-000000.jsonl')]);
    const forged = join(d, 'spool-9.jsonl');
    writeFileSync(forged, JSON.stringify(event('forged')) + '\n');
    const old = new Date(Date.now() - 60_000);
    utimesSync(forged, old, old);
    const root = process.getuid?.() === 0;
    if (root) chownSync(forged, 12345, 12345);
    const a = new UsageSpool(d, MB, 'pod-a');
    await a.append(event('mine'));
    const got = collect();
    // Would hang on the FIFO or read /dev/zero without end if it opened them.
    expect(await a.drain(got.send)).toBe(root ? 1 : 2);
    // As root (CI) the planted file belongs to another user; otherwise it is this user's, and replays.
    expect(got.sent.sort()).toEqual(root ? ['mine'] : ['forged', 'mine']);
  });

  it('bounds its own files, whatever other replicas sharing the volume hold', async () => {
    const d = dir();
    const big = new UsageSpool(d, MB, 'pod-big');
    const line = JSON.stringify(event('x'.repeat(1000))).length + 1;
    for (let i = 0; i < 10; i++) await big.append(event('x'.repeat(1000)));
    const small = new UsageSpool(d, 5 * line, 'pod-small');
    const kept = [];
    for (let i = 0; i < 7; i++) kept.push(await small.append(event('x'.repeat(1000))));
    expect(kept).toEqual([true, true, true, true, true, false, false]);
  });
});
