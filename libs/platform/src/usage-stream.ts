// The JetStream streams of the usage pipeline, owned by metering: USAGE (what gateways publish) and
// USAGE_DEADLETTER (messages that can never be processed, with the reason). A service start creates what is
// missing and never changes a stream that exists (an operator's settings, such as 3 replicas, stay); the
// explicit `streams` command of metering-service applies configured settings, never lowering replicas.
import {
  DiscardPolicy,
  jetstreamManager,
  type JetStreamManager,
  RetentionPolicy,
  StorageType,
  type StreamConfig,
  type StreamInfo,
} from '@nats-io/jetstream';
import { nanos } from '@nats-io/nats-core';
import type { NatsConnection } from '@nats-io/transport-node';
import { USAGE_DEADLETTER_STREAM, USAGE_STREAM } from '@gw/contracts';

/** Gateway retries and spool replays within this window are deduplicated by message id. */
export const USAGE_DUPLICATE_WINDOW_MS = 10 * 60_000;

export interface UsageStreamSettings {
  replicas: number;
  /** 0: kept until max bytes (or forever). */
  maxAgeMs: number;
  /** 0: no size limit. Past it the oldest messages go, consumed or not. */
  maxBytes: number;
  deadLetterMaxAgeMs: number;
}

const HOUR = 3_600_000;
export const DEFAULT_USAGE_STREAM_SETTINGS: UsageStreamSettings = {
  replicas: 1,
  maxAgeMs: 7 * 24 * HOUR,
  maxBytes: 0,
  deadLetterMaxAgeMs: 30 * 24 * HOUR,
};

type Config = Partial<StreamConfig> & { name: string };

function configs(s: UsageStreamSettings): Config[] {
  const common = {
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
    discard: DiscardPolicy.Old,
    duplicate_window: nanos(USAGE_DUPLICATE_WINDOW_MS),
    num_replicas: s.replicas,
  };
  return [
    {
      ...common,
      name: USAGE_STREAM.name,
      subjects: [...USAGE_STREAM.subjects],
      max_age: nanos(s.maxAgeMs),
      max_bytes: s.maxBytes || -1,
    },
    {
      ...common,
      name: USAGE_DEADLETTER_STREAM.name,
      subjects: [...USAGE_DEADLETTER_STREAM.subjects],
      max_age: nanos(s.deadLetterMaxAgeMs),
      max_bytes: -1,
    },
  ];
}

async function info(jsm: JetStreamManager, name: string): Promise<StreamInfo | undefined> {
  try {
    return await jsm.streams.info(name);
  } catch (err) {
    if ((err as { name?: string }).name === 'StreamNotFoundError' || /not found/i.test(String(err))) return;
    throw err;
  }
}

/** What differs between a running stream and the settings, in words (for a warning or the command's output). */
function differences(have: StreamConfig, want: Config): string[] {
  const keys = ['num_replicas', 'max_age', 'max_bytes', 'duplicate_window'] as const;
  return keys
    .filter((k) => want[k] !== undefined && Number(have[k]) !== Number(want[k]))
    .map((k) => `${want.name}.${k}: running ${have[k]}, configured ${want[k]}`);
}

/** At a service's start: creates the streams that are missing; returns how existing ones differ. */
export async function ensureUsageStreams(
  nc: NatsConnection,
  settings: UsageStreamSettings = DEFAULT_USAGE_STREAM_SETTINGS,
): Promise<string[]> {
  const jsm = await jetstreamManager(nc);
  const drift: string[] = [];
  for (const want of configs(settings)) {
    const have = await info(jsm, want.name);
    if (!have) await jsm.streams.add(want);
    else drift.push(...differences(have.config, want));
  }
  return drift;
}

/** The operator's command: creates or updates the streams to the settings, never lowering replicas. */
export async function applyUsageStreamSettings(
  nc: NatsConnection,
  settings: UsageStreamSettings,
): Promise<string[]> {
  const jsm = await jetstreamManager(nc);
  const done: string[] = [];
  for (const want of configs(settings)) {
    const have = await info(jsm, want.name);
    if (!have) {
      await jsm.streams.add(want);
      done.push(`${want.name}: created`);
      continue;
    }
    const next = {
      ...have.config,
      ...want,
      num_replicas: Math.max(have.config.num_replicas, settings.replicas),
    };
    const changes = differences(have.config, next);
    if (changes.length) await jsm.streams.update(want.name, next);
    done.push(...(changes.length ? changes.map((c) => `updated ${c}`) : [`${want.name}: unchanged`]));
    if (settings.replicas < have.config.num_replicas)
      done.push(`${want.name}: kept ${have.config.num_replicas} replicas (configured ${settings.replicas})`);
  }
  return done;
}
