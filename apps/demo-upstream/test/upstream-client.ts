// A demo upstream on port 0 for one test file, and the ways a gateway reads it: JSON, SSE text, raw chunks.
import { request } from 'node:http';
import { createDemoUpstream } from '../src/server.js';

export function startUpstream() {
  const upstream = createDemoUpstream();
  let url = '';
  beforeAll(async () => {
    url = await upstream.listen(0);
  });
  afterAll(() => upstream.close());
  beforeEach(() => control({ reset: true, resetStats: true }));

  const control = (body: unknown): Promise<any> =>
    fetch(`${url}/__control`, { method: 'POST', body: JSON.stringify(body) }).then((r) => r.json());
  const post = (path: string, body: unknown) =>
    fetch(url + path, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const json = async (path: string, body: unknown): Promise<any> => (await post(path, body)).json();
  const stats = (): Promise<any> => fetch(`${url}/__stats`).then((r) => r.json());

  /** The response body as the socket delivered it: one Buffer per 'data' event, undecoded. */
  const rawChunks = (path: string, body: unknown) =>
    new Promise<{ status: number; chunks: Buffer[] }>((resolve, reject) => {
      const req = request(
        url + path,
        { method: 'POST', headers: { 'content-type': 'application/json' } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, chunks }));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(JSON.stringify(body));
    });

  return { upstream, control, post, json, stats, rawChunks, url: () => url };
}

/** The data of each SSE event, parsed as the spec says (any line ending, several data lines, comments). */
export function sseData(text: string): string[] {
  const events: string[] = [];
  let data: string[] | undefined;
  for (const line of text.split(/\r\n|\r|\n/)) {
    if (line === '') {
      if (data) events.push(data.join('\n'));
      data = undefined;
    } else if (line.startsWith('data:')) {
      (data ??= []).push(line.slice(line.startsWith('data: ') ? 6 : 5));
    }
  }
  return events;
}

/** The JSON events of a stream, without [DONE]. */
export const sseJson = (text: string): any[] =>
  sseData(text)
    .filter((d) => d !== '[DONE]')
    .map((d) => JSON.parse(d));
