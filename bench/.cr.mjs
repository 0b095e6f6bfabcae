import { readFileSync } from 'node:fs';
import { cpuRounds, processGroups } from './cpu.mjs';
const body = JSON.stringify({
  model: 'gpt-4o-mini',
  messages: [{ role: 'user', content: 'Hello, benchmark' }],
  max_tokens: 64,
});
const k = (f) => readFileSync(f, 'utf8').trim();
await cpuRounds({
  targets: [
    {
      name: 'plain',
      url: 'http://127.0.0.1:8080/v1/chat/completions',
      headers: { authorization: `Bearer ${k('/tmp/plainkey')}` },
      body,
      pipeline: true,
    },
    {
      name: 'limited',
      url: 'http://127.0.0.1:8080/v1/chat/completions',
      headers: { authorization: `Bearer ${k('/tmp/limkey')}` },
      body,
      pipeline: true,
    },
  ],
  rounds: 1,
  seconds: 5,
  concurrencies: [32],
  sample: processGroups({}),
});
