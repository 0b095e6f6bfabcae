// A provider that does no work: reads the body and answers a fixed chat completion with usage. The
// adversarial bench sends its large messages here because the demo upstream counts the prompt's tokens
// itself, with the same quadratic cost on one long word, and that CPU would be charged to the gateway on a
// 2-core machine. PORT.
import { createServer } from 'node:http';

createServer((req, res) => {
  let bytes = 0;
  req.on('data', (c) => (bytes += c.length));
  req.on('end', () => {
    const body =
      req.url === '/healthz'
        ? { status: 'ok' }
        : {
            id: 'chatcmpl-stub',
            object: 'chat.completion',
            created: Math.floor(Date.now() / 1000),
            model: 'stub',
            choices: [
              {
                index: 0,
                message: { role: 'assistant', content: 'ok' },
                logprobs: null,
                finish_reason: 'stop',
              },
            ],
            // A rough count so billing sees a plausible number; nothing here tokenizes.
            usage: {
              prompt_tokens: Math.ceil(bytes / 4),
              completion_tokens: 1,
              total_tokens: Math.ceil(bytes / 4) + 1,
            },
          };
    const text = JSON.stringify(body);
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  });
}).listen(Number(process.env.PORT), '127.0.0.1');
