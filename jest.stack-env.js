// Tests talk to the real servers `npm start`/`npm test` bring up: load .stack/env for a bare `npx jest` too.
import { existsSync, readFileSync } from 'node:fs';

const file = new URL('./.stack/env', import.meta.url);
if (existsSync(file)) {
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const i = line.indexOf('=');
    if (i > 0 && process.env[line.slice(0, i)] === undefined)
      process.env[line.slice(0, i)] = line.slice(i + 1);
  }
}
