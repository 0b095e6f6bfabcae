// Anthropic's Messages API request → a Chat Completions request (pure). The fields with a Chat Completions
// equivalent are carried over; what cannot be honoured is refused with a 400 naming the field, never dropped
// silently, except sampling hints without an equivalent (top_k) and extended-thinking settings, which a
// provider speaking Chat Completions has no way to take (docs/decisions.md, "The Messages API").
import { type ApiError, apiError } from '@gw/contracts';
import { bad, describe, isObject, type Json, unsupported } from '../http/body-checks.js';

/** Anthropic's block types a request may carry, and what becomes of each. */
const TEXT = 'text';

function textOf(content: unknown, param: string): string | ApiError {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return bad(param, 'a string or an array of text blocks');
  const parts: string[] = [];
  for (let i = 0; i < content.length; i++) {
    const b = content[i];
    if (!isObject(b) || b.type !== TEXT || typeof b.text !== 'string')
      return bad(`${param}.${i}`, 'only text blocks are taken here');
    parts.push(b.text);
  }
  return parts.join('\n');
}

function imagePart(block: Json, param: string): Json | ApiError {
  const source = block.source;
  if (!isObject(source)) return bad(`${param}.source`, 'required');
  if (source.type === 'base64' && typeof source.media_type === 'string' && typeof source.data === 'string')
    return { type: 'image_url', image_url: { url: `data:${source.media_type};base64,${source.data}` } };
  if (source.type === 'url' && typeof source.url === 'string')
    return { type: 'image_url', image_url: { url: source.url } };
  return unsupported(`${param}.source.type`, 'base64 or url images only');
}

/** One Anthropic message → one or more chat messages (tool results become `tool` messages before the rest). */
function convertMessage(m: unknown, i: number): Json[] | ApiError {
  const param = `messages.${i}`;
  if (!isObject(m)) return bad(param, 'each message is an object');
  if (m.role !== 'user' && m.role !== 'assistant') return bad(`${param}.role`, 'user or assistant');
  if (typeof m.content === 'string') return [{ role: m.role, content: m.content }];
  if (!Array.isArray(m.content)) return bad(`${param}.content`, 'a string or an array of blocks');
  const parts: Json[] = [];
  const toolCalls: Json[] = [];
  const toolResults: Json[] = [];
  for (let j = 0; j < m.content.length; j++) {
    const b = m.content[j];
    const at = `${param}.content.${j}`;
    if (!isObject(b)) return bad(at, 'each block is an object');
    switch (b.type) {
      case 'text':
        if (typeof b.text !== 'string') return bad(`${at}.text`, 'a string');
        parts.push({ type: 'text', text: b.text });
        break;
      case 'image': {
        if (m.role !== 'user') return bad(`${at}.type`, 'images are the user’s');
        const image = imagePart(b, at);
        if ('code' in image) return image as ApiError;
        parts.push(image);
        break;
      }
      case 'tool_use':
        if (m.role !== 'assistant') return bad(`${at}.type`, 'tool_use blocks are the assistant’s');
        if (typeof b.id !== 'string' || typeof b.name !== 'string')
          return bad(at, 'id and name are required');
        toolCalls.push({
          id: b.id,
          type: 'function',
          function: { name: b.name, arguments: JSON.stringify(b.input ?? {}) },
        });
        break;
      case 'tool_result': {
        if (m.role !== 'user') return bad(`${at}.type`, 'tool_result blocks are the user’s');
        if (typeof b.tool_use_id !== 'string') return bad(`${at}.tool_use_id`, 'required');
        const content = b.content === undefined ? '' : textOf(b.content, `${at}.content`);
        if (typeof content !== 'string') return content;
        toolResults.push({
          role: 'tool',
          tool_call_id: b.tool_use_id,
          content: b.is_error === true ? `Error: ${content}` : content,
        });
        break;
      }
      case 'thinking':
      case 'redacted_thinking':
        // An earlier answer's reasoning: a Chat Completions provider cannot take it back.
        if (m.role !== 'assistant') return bad(`${at}.type`, 'thinking blocks are the assistant’s');
        break;
      default:
        return unsupported(`${at}.type`, `${describe(b.type)} blocks are not supported by this gateway`);
    }
  }
  const out: Json[] = [...toolResults];
  if (m.role === 'assistant') {
    const text = parts.map((p) => p.text as string).join('');
    if (text || toolCalls.length)
      out.push({
        role: 'assistant',
        content: text || null,
        ...(toolCalls.length && { tool_calls: toolCalls }),
      });
  } else if (parts.length) {
    const onlyText = parts.every((p) => p.type === 'text');
    out.push({ role: 'user', content: onlyText ? parts.map((p) => p.text as string).join('\n') : parts });
  }
  return out;
}

function convertTools(tools: unknown): Json[] | ApiError {
  if (!Array.isArray(tools)) return bad('tools', 'an array');
  const out: Json[] = [];
  for (let i = 0; i < tools.length; i++) {
    const t = tools[i];
    if (!isObject(t)) return bad(`tools.${i}`, 'each tool is an object');
    // Anthropic's server tools (web search, code execution…) run at Anthropic: nothing here can run them.
    if (t.type !== undefined && t.type !== 'custom')
      return unsupported(`tools.${i}.type`, `${describe(t.type)} is not offered by this gateway`);
    if (typeof t.name !== 'string' || !t.name) return bad(`tools.${i}.name`, 'required');
    if (!isObject(t.input_schema)) return bad(`tools.${i}.input_schema`, 'a JSON schema object is required');
    out.push({
      type: 'function',
      function: {
        name: t.name,
        ...(typeof t.description === 'string' && { description: t.description }),
        parameters: t.input_schema,
      },
    });
  }
  return out;
}

function convertToolChoice(
  choice: unknown,
): { tool_choice?: unknown; parallel_tool_calls?: boolean } | ApiError {
  if (choice === undefined) return {};
  if (!isObject(choice)) return bad('tool_choice', 'an object');
  const parallel = choice.disable_parallel_tool_use === true ? { parallel_tool_calls: false } : {};
  switch (choice.type) {
    case 'auto':
      return { tool_choice: 'auto', ...parallel };
    case 'any':
      return { tool_choice: 'required', ...parallel };
    case 'none':
      return { tool_choice: 'none' };
    case 'tool':
      if (typeof choice.name !== 'string') return bad('tool_choice.name', 'required');
      return { tool_choice: { type: 'function', function: { name: choice.name } }, ...parallel };
    default:
      return bad('tool_choice.type', 'auto, any, tool or none');
  }
}

/**
 * The Chat Completions body for an Anthropic Messages request, or the 400 it deserves. `countOnly`: a
 * count_tokens request, which has no max_tokens.
 */
export function messagesToChat(
  body: unknown,
  { countOnly = false } = {},
): { chat: Json } | { error: ApiError } {
  const chat = translate(body, countOnly);
  return 'code' in chat ? { error: chat as ApiError } : { chat };
}

function translate(body: unknown, countOnly: boolean): Json | ApiError {
  if (!isObject(body)) return apiError('invalid_request', 'The body must be a JSON object.', null);
  if (typeof body.model !== 'string' || !body.model) return bad('model', 'a model name is required');
  if (!countOnly && (!Number.isInteger(body.max_tokens) || (body.max_tokens as number) < 1))
    return bad('max_tokens', 'a positive integer is required');
  if (!Array.isArray(body.messages) || body.messages.length === 0)
    return bad('messages', 'a non-empty array is required');
  const messages: Json[] = [];
  if (body.system !== undefined) {
    const system = textOf(body.system, 'system');
    if (typeof system !== 'string') return system;
    if (system) messages.push({ role: 'system', content: system });
  }
  for (let i = 0; i < body.messages.length; i++) {
    const converted = convertMessage(body.messages[i], i);
    if (!Array.isArray(converted)) return converted;
    messages.push(...converted);
  }
  const chat: Json = { model: body.model, messages, ...(!countOnly && { max_tokens: body.max_tokens }) };
  if (body.stop_sequences !== undefined) {
    const stops = body.stop_sequences;
    if (!Array.isArray(stops) || !stops.every((s) => typeof s === 'string'))
      return bad('stop_sequences', 'an array of strings');
    if (stops.length) chat.stop = stops;
  }
  for (const field of ['temperature', 'top_p'] as const) {
    const v = body[field];
    if (v === undefined) continue;
    if (typeof v !== 'number') return bad(field, 'a number');
    chat[field] = v;
  }
  if (body.tools !== undefined) {
    const tools = convertTools(body.tools);
    if (!Array.isArray(tools)) return tools;
    if (tools.length) chat.tools = tools;
  }
  const choice = convertToolChoice(body.tool_choice);
  if ('code' in choice) return choice as ApiError;
  Object.assign(chat, choice);
  if (body.stream !== undefined) {
    if (typeof body.stream !== 'boolean') return bad('stream', 'a boolean');
    if (body.stream) chat.stream = true;
  }
  const user = isObject(body.metadata) ? body.metadata.user_id : undefined;
  if (typeof user === 'string') chat.user = user;
  return chat;
}
