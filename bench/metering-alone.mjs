// `node bench/metering-alone.mjs` (with .stack/env loaded): only metering's drain and lag, for working on it.
import { benchMetering } from './metering.mjs';
import { createStack, ROOT } from './stack.mjs';

const stack = createStack(ROOT);
try {
  const r = await benchMetering((env) =>
    stack.start('metering-service', ...stack.node('apps/metering-service/dist/main.js'), () => env),
  );
  console.log(JSON.stringify(r));
} finally {
  await stack.stop();
}
