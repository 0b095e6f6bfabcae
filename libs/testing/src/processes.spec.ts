import { createServer } from 'node:net';
import { freePort } from './processes.js';

describe('freePort', () => {
  it('returns a port nothing listens on', async () => {
    const port = await freePort();
    await new Promise<void>((resolve, reject) => {
      const srv = createServer().once('error', reject);
      srv.listen(port, '127.0.0.1', () => srv.close(() => resolve()));
    });
  });
});
