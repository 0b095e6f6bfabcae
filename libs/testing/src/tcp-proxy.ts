// A TCP relay in front of a real server, for tests of one client's outage without stopping the server every
// other test uses: `cut()` closes the listener and every relayed connection (the client sees the server go
// away: resets, then refused connections), `restore()` listens again on the same port.
import { createServer, type Server, type Socket, connect } from 'node:net';

export async function tcpProxy(target: { host: string; port: number }) {
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let port = 0;
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      server = createServer((client) => {
        const upstream = connect(target.port, target.host);
        for (const s of [client, upstream]) {
          sockets.add(s);
          s.on('close', () => sockets.delete(s));
          s.on('error', () => {
            client.destroy();
            upstream.destroy();
          });
        }
        client.pipe(upstream).pipe(client);
      });
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        const addr = server!.address();
        port = typeof addr === 'object' && addr ? addr.port : port;
        resolve();
      });
    });
  await listen();
  return {
    port,
    cut: async () => {
      const closed = new Promise<void>((resolve) => server!.close(() => resolve()));
      for (const s of sockets) s.destroy();
      await closed;
    },
    restore: listen,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => (server?.listening ? server.close(() => resolve()) : resolve()));
    },
  };
}
