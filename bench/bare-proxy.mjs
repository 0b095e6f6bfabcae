// The floor: a bare node:http + undici pass-through with no checks at all. PORT, UPSTREAM (origin).
import { createServer } from 'node:http';
import { Pool } from 'undici';

const upstream = new Pool(process.env.UPSTREAM, { connections: 64, pipelining: 1 });
createServer(async (req, res) => {
  try {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const r = await upstream.request({
      method: req.method,
      path: req.url,
      headers: { 'content-type': 'application/json' },
      body: Buffer.concat(chunks),
    });
    res.writeHead(r.statusCode, { 'content-type': r.headers['content-type'] ?? 'application/json' });
    for await (const c of r.body) res.write(c);
    res.end();
  } catch {
    res.writeHead(502).end();
  }
}).listen(Number(process.env.PORT), '127.0.0.1');
