// A bounded on-disk spool of usage events that could not be published: JSON lines, appended in order,
// replayed later with the same message ids (JetStream deduplicates what did arrive after all).
//
// Replicas may share one directory (a volume): each writes only files named for itself (host name and
// process id: pod names in Kubernetes, where every process id is 1), and keeps `alive.<owner>` fresh while it
// runs. Files of an owner that is gone (no fresh heartbeat) are claimed by renaming them into the claimer's
// name (a rename is atomic, so exactly one replica wins each file) and replayed by it. Only regular files owned
// by this process's user are ever read or claimed: a link, a FIFO or a file planted by another user in the
// directory is left alone (it could forge usage, or hang or exhaust the replay).
import { createReadStream } from 'node:fs';
import { appendFile, lstat, mkdir, readdir, rename, stat, unlink, utimes, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import type { UsageEvent } from '@gw/contracts';

/** An owner whose heartbeat is older than this is gone: its files may be claimed. */
export const SPOOL_STALE_MS = 30_000;
/** A long replay refreshes the heartbeat this often, so no replica takes the files it is replaying. */
const HEARTBEAT_MS = 2_000;
const uid = process.getuid?.();

/** A regular file of this process's user (no link, FIFO or device; nothing another user could plant). */
async function ownRegularFile(path: string): Promise<boolean> {
  try {
    const s = await lstat(path);
    return s.isFile() && (uid === undefined || s.uid === uid);
  } catch {
    return false;
  }
}

/** This process's name in the spool: host (pod) name and process id, in file-name-safe characters. */
export const spoolOwner = () => `${hostname()}-${process.pid}`.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 100);

export class UsageSpool {
  private bytes = -1;
  private writing: Promise<unknown> = Promise.resolve();
  private readonly current: string;
  private readonly alive: string;
  private claims = 0;
  private beat = 0;

  constructor(
    private readonly dir: string,
    private readonly maxBytes: number,
    private readonly owner = spoolOwner(),
    private readonly staleMs = SPOOL_STALE_MS,
  ) {
    if (!/^[A-Za-z0-9_-]+$/.test(owner)) throw new Error(`spool owner must be [A-Za-z0-9_-]: ${owner}`);
    this.current = join(dir, `spool.${owner}.jsonl`);
    this.alive = join(dir, `alive.${owner}`);
  }

  private isMine(f: string) {
    return (
      f === `spool.${this.owner}.jsonl` || (f.startsWith(`draining.${this.owner}.`) && f.endsWith('.jsonl'))
    );
  }

  /** Bytes of this owner's files: the bound applies per replica, whatever the others sharing the volume hold. */
  private async recount(): Promise<number> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const files = (await readdir(this.dir)).filter((f) => this.isMine(f));
    const sizes = await Promise.all(
      files.map((f) =>
        stat(join(this.dir, f)).then(
          (s) => s.size,
          () => 0,
        ),
      ),
    );
    this.bytes = sizes.reduce((a, b) => a + b, 0);
    return this.bytes;
  }

  private async size(): Promise<number> {
    return this.bytes < 0 ? this.recount() : this.bytes;
  }

  /** Appends; false when the spool is full (the event is dropped and the caller counts it). */
  append(event: UsageEvent): Promise<boolean> {
    const line = JSON.stringify(event) + '\n';
    const done = this.writing.then(async () => {
      if ((await this.size()) + line.length > this.maxBytes) return false;
      await this.heartbeat();
      await appendFile(this.current, line);
      this.bytes += line.length;
      return true;
    });
    this.writing = done.catch(() => undefined);
    return done;
  }

  /** Marks this owner alive (every couple of seconds while it runs), so no other replica claims its files. */
  async heartbeat(): Promise<void> {
    this.beat = Date.now();
    const now = new Date();
    try {
      await utimes(this.alive, now, now);
    } catch {
      await mkdir(this.dir, { recursive: true, mode: 0o700 });
      await writeFile(this.alive, '', { mode: 0o600 });
    }
  }

  /** A clean stop: whatever is still spooled here may be claimed by another replica at once. */
  async release(): Promise<void> {
    await this.writing;
    await unlink(this.alive).catch(() => undefined);
  }

  /**
   * Replays every spooled event through `send`: this owner's own (in order, file by file), and the files of
   * owners that are gone. A file is deleted only when all of it was sent; a failure stops the replay and
   * leaves the rest (still this owner's) for the next attempt.
   */
  async drain(send: (e: UsageEvent) => Promise<void>): Promise<number> {
    await this.writing;
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    await this.heartbeat();
    // Take the current file out of the writers' way first; new failures start a new one.
    await this.take(this.current);
    await this.claimAbandoned();
    const mine = `draining.${this.owner}.`;
    const files = (await readdir(this.dir)).filter((f) => f.startsWith(mine) && f.endsWith('.jsonl')).sort();
    let sent = 0;
    try {
      for (const f of files) {
        const path = join(this.dir, f);
        if (!(await ownRegularFile(path))) continue;
        // Line by line: a file of any size replays in bounded memory.
        const lines = createInterface({
          input: createReadStream(path, { encoding: 'utf8' }),
          crlfDelay: Infinity,
        });
        for await (const line of lines) {
          if (!line) continue;
          let event: UsageEvent;
          try {
            event = JSON.parse(line) as UsageEvent;
          } catch {
            continue; // a torn last line from a crash: nothing to replay
          }
          await send(event);
          sent += 1;
          if (Date.now() - this.beat > HEARTBEAT_MS) await this.heartbeat();
        }
        await unlink(path).catch(() => undefined);
      }
    } finally {
      await this.recount().catch(() => undefined);
    }
    return sent;
  }

  /** Renames `path` into this owner's queue of files to replay; false when it is gone (nothing, or claimed). */
  private async take(path: string): Promise<boolean> {
    const seq = String(this.claims++).padStart(6, '0');
    const to = join(
      this.dir,
      `draining.${this.owner}.${Date.now().toString().padStart(15, '0')}-${seq}.jsonl`,
    );
    try {
      await rename(path, to);
      return true;
    } catch {
      return false;
    }
  }

  /** Spool files of owners without a fresh heartbeat (files of an older version: by their own age). */
  private async claimAbandoned(): Promise<void> {
    const now = Date.now();
    const fresh = async (path: string) => {
      try {
        return now - (await stat(path)).mtimeMs < this.staleMs;
      } catch {
        return false;
      }
    };
    const names = await readdir(this.dir);
    for (const f of names) {
      if (!f.endsWith('.jsonl')) continue;
      const [kind, owner] = f.split('.');
      if (owner === this.owner && (kind === 'spool' || kind === 'draining')) continue;
      const known = (kind === 'spool' || kind === 'draining') && owner && /^[A-Za-z0-9_-]+$/.test(owner);
      const path = join(this.dir, f);
      if (!(await ownRegularFile(path))) continue;
      const alive = known ? await fresh(join(this.dir, `alive.${owner}`)) : await fresh(path);
      if (!alive) await this.take(path);
    }
  }

  /** Bytes of this owner's spool files as last counted (-1 before the first look). */
  get sizeBytes(): number {
    return this.bytes;
  }

  async pending(): Promise<boolean> {
    await this.writing;
    try {
      const files = await readdir(this.dir);
      for (const f of files) {
        const path = join(this.dir, f);
        if (f.endsWith('.jsonl') && (await ownRegularFile(path)) && (await stat(path)).size > 0) return true;
      }
    } catch {
      /* no spool directory yet */
    }
    return false;
  }
}
