import { mkdtempSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
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
});
