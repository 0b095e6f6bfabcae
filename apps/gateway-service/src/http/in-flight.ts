// The hot routes' requests still being worked on, including a stream's after-close read for usage: shutdown
// waits for them before the last usage events and touches are flushed.
import { Injectable } from '@nestjs/common';

@Injectable()
export class InFlightRequests {
  private readonly open = new Set<Promise<unknown>>();

  track(work: Promise<unknown>) {
    this.open.add(work);
    const done = () => void this.open.delete(work);
    work.then(done, done);
  }

  get size() {
    return this.open.size;
  }

  /** Resolves once every request tracked so far, and any tracked meanwhile, has settled. */
  async settled(): Promise<void> {
    while (this.open.size) await Promise.allSettled([...this.open]);
  }
}
