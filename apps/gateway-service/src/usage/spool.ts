// A bounded on-disk spool of usage events that could not be published: JSON lines, appended in order,
// replayed later with the same message ids (JetStream deduplicates what did arrive after all).
import { appendFile, mkdir, readdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { UsageEvent } from '@gw/contracts';

export class UsageSpool {
  private bytes = -1;
  private writing: Promise<unknown> = Promise.resolve();
  private readonly current: string;

  constructor(
    private readonly dir: string,
    private readonly maxBytes: number,
    /** One spool file per process, so replicas sharing a volume never interleave. */
    private readonly owner = `${process.pid}`,
  ) {
    this.current = join(dir, `spool-${owner}.jsonl`);
  }

  private async size(): Promise<number> {
    if (this.bytes < 0) {
      await mkdir(this.dir, { recursive: true });
      const files = await readdir(this.dir);
      const sizes = await Promise.all(
        files.map((f) =>
          stat(join(this.dir, f)).then(
            (s) => s.size,
            () => 0,
          ),
        ),
      );
      this.bytes = sizes.reduce((a, b) => a + b, 0);
    }
    return this.bytes;
  }

  /** Appends; false when the spool is full (the event is dropped and the caller counts it). */
  append(event: UsageEvent): Promise<boolean> {
    const line = JSON.stringify(event) + '\n';
    const done = this.writing.then(async () => {
      if ((await this.size()) + line.length > this.maxBytes) return false;
      await appendFile(this.current, line);
      this.bytes += line.length;
      return true;
    });
    this.writing = done.catch(() => undefined);
    return done;
  }

  /**
   * Replays every spooled event through `send` (in order, file by file). A file is deleted only when all
   * of it was sent; a failure stops the replay and leaves the rest for the next attempt.
   */
  async drain(send: (e: UsageEvent) => Promise<void>): Promise<number> {
    await this.writing;
    await mkdir(this.dir, { recursive: true });
    // Take the current file out of the writers' way first; new failures start a new one.
    try {
      await rename(this.current, join(this.dir, `draining-${this.owner}-${Date.now()}.jsonl`));
    } catch {
      /* nothing spooled since the last drain */
    }
    const files = (await readdir(this.dir)).filter((f) => f.startsWith('draining-')).sort();
    let sent = 0;
    for (const f of files) {
      const path = join(this.dir, f);
      const lines = (await readFile(path, 'utf8')).split('\n').filter(Boolean);
      for (const line of lines) {
        let event: UsageEvent;
        try {
          event = JSON.parse(line) as UsageEvent;
        } catch {
          continue; // a torn last line from a crash: nothing to replay
        }
        await send(event);
        sent += 1;
      }
      await unlink(path).catch(() => undefined);
      this.bytes = Math.max(0, this.bytes - Buffer.byteLength(lines.join('\n')) - lines.length);
    }
    return sent;
  }

  async pending(): Promise<boolean> {
    await this.writing;
    try {
      const files = await readdir(this.dir);
      for (const f of files) if ((await stat(join(this.dir, f))).size > 0) return true;
    } catch {
      /* no spool directory yet */
    }
    return false;
  }
}
