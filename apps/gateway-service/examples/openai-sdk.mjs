// The official openai SDK against the gateway: `set -a; . .stack/env; set +a; node apps/gateway-service/examples/openai-sdk.mjs`
import OpenAI from 'openai';

const client = new OpenAI({
  baseURL: `${process.env.GATEWAY_URL ?? 'http://127.0.0.1:8080'}/v1`,
  apiKey: process.env.DEMO_KEY,
});

const models = await client.models.list();
console.log('models:', models.data.map((m) => m.id).join(', '));

const reply = await client.chat.completions.create({
  model: 'gpt-4o-mini',
  messages: [{ role: 'user', content: 'Hello' }],
});
console.log('chat:', reply.choices[0].message.content, reply.usage);

process.stdout.write('stream: ');
const stream = await client.chat.completions.create({
  model: 'gpt-4o-mini',
  messages: [{ role: 'user', content: 'Stream please' }],
  stream: true,
  stream_options: { include_usage: true },
});
for await (const chunk of stream) {
  process.stdout.write(chunk.choices[0]?.delta?.content ?? '');
  if (chunk.usage) process.stdout.write(`\nusage: ${JSON.stringify(chunk.usage)}\n`);
}

const emb = await client.embeddings.create({ model: 'text-embedding-3-small', input: 'hello' });
console.log('embedding dims:', emb.data[0].embedding.length);
