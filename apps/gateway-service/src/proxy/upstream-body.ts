// The body sent to a provider: the client's bytes whenever possible. The output cap is always written (a
// provider's own default must not decide what a request may cost), and usage is always asked of a stream.
// Fields the client did not send are spliced in front of its bytes; a field whose value must change costs
// the one re-serialisation.
import type { UsageEndpoint } from '@gw/contracts';
import type { InferenceBody } from './inference-body.js';

export interface BodyTarget {
  upstreamModel: string;
  /** The one cap field the provider reads (its setting); the client's other cap field is moved into it. */
  capField: 'max_tokens' | 'max_completion_tokens';
}

const OPEN_BRACE = 0x7b;

export function upstreamBody(
  endpoint: UsageEndpoint,
  body: InferenceBody,
  /** The client's bytes when they are the provider's format; undefined for a translated body. */
  raw: Buffer | undefined,
  target: BodyTarget,
  cap: number,
): Buffer | string {
  const json = body.json;
  if (endpoint === 'generate') {
    return JSON.stringify({
      model: target.upstreamModel,
      messages: [{ role: 'user', content: json.prompt }],
      stream: false,
      [target.capField]: cap,
    });
  }
  const set: Record<string, unknown> = {};
  const add: Record<string, unknown> = {};
  if (target.upstreamModel !== body.model) set.model = target.upstreamModel;
  if (endpoint !== 'embeddings') {
    // Exactly one cap reaches the provider, in the field it reads: the smaller of the client's and the ceiling.
    const other = target.capField === 'max_tokens' ? 'max_completion_tokens' : 'max_tokens';
    if (other in json) set[other] = undefined; // JSON.stringify drops it
    const given = json[target.capField];
    if (given !== cap) (target.capField in json || other in json ? set : add)[target.capField] = cap;
  }
  if (body.stream && !body.includeUsage) {
    // Usage is always requested from the upstream; the extra frame is hidden from a client that did not ask.
    const so = json.stream_options;
    if (so == null && !('stream_options' in json)) add.stream_options = { include_usage: true };
    else set.stream_options = { ...(so as object), include_usage: true };
  }
  if (Object.keys(set).length || !raw) return JSON.stringify({ ...json, ...set, ...add });
  const extra = JSON.stringify(add);
  if (extra === '{}') return raw;
  // `{"max_tokens":N,` + the client's bytes after its opening brace: the object has at least `model`.
  const brace = raw.indexOf(OPEN_BRACE);
  return Buffer.concat([
    raw.subarray(0, brace),
    Buffer.from(extra.slice(0, -1) + ','),
    raw.subarray(brace + 1),
  ]);
}
