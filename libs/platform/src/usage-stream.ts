// The JetStream stream USAGE, created (or brought to this config) idempotently by whoever starts first.
import { jetstreamManager, StorageType, type StreamConfig } from '@nats-io/jetstream';
import { nanos } from '@nats-io/nats-core';
import type { NatsConnection } from '@nats-io/transport-node';
import { USAGE_STREAM } from '@gw/contracts';

/** Gateway retries and spool replays within this window are deduplicated by message id. */
export const USAGE_DUPLICATE_WINDOW_MS = 10 * 60_000;

export async function ensureUsageStream(nc: NatsConnection, replicas = 1): Promise<void> {
  const jsm = await jetstreamManager(nc);
  const config: Partial<StreamConfig> & { name: string } = {
    name: USAGE_STREAM.name,
    subjects: [...USAGE_STREAM.subjects],
    storage: StorageType.File,
    duplicate_window: nanos(USAGE_DUPLICATE_WINDOW_MS),
    num_replicas: replicas,
  };
  try {
    await jsm.streams.info(USAGE_STREAM.name);
    await jsm.streams.update(USAGE_STREAM.name, config);
  } catch (err) {
    if (
      (err as { name?: string }).name !== 'StreamNotFoundError' &&
      !/not found/i.test(String((err as Error).message))
    )
      throw err;
    await jsm.streams.add(config);
  }
}
