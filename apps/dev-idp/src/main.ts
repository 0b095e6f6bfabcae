// The development identity provider as a process (npm start runs it). Local use only.
import { loadDevIdpConfig } from './config.js';
import { createDevIdp } from './server.js';

try {
  const config = loadDevIdpConfig();
  const idp = createDevIdp(config);
  const url = await idp.listen();
  console.log(
    JSON.stringify({ level: 30, msg: 'dev-idp listening (local use only)', url, issuer: config.issuer }),
  );
  const stop = () => void idp.close().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
} catch (err) {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
}
