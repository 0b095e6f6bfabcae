// `node dist/cli/streams.js`: creates or updates USAGE and USAGE_DEADLETTER to the configured settings
// (USAGE_STREAM_*), never lowering replicas. Services only create missing streams; this is the explicit step
// (run by `npm start`, and as a one-shot job beside the migrations in a deployment).
import { applyUsageStreamSettings, natsConnectOptions } from '@gw/platform';
import { connect } from '@nats-io/transport-node';
import { loadServiceConfig } from '../config.js';

const config = loadServiceConfig();
const nc = await connect({ ...natsConnectOptions(config.nats), name: 'metering-streams' });
try {
  for (const line of await applyUsageStreamSettings(nc, config.streams)) console.error(`streams: ${line}`);
} finally {
  await nc.close();
}
