// OpenAI's Responses API request → a Chat Completions request (pure), for providers that speak only Chat
// Completions. Stateless: what needs state the gateway does not keep (previous_response_id, store: true,
// background, conversation) and built-in tools it cannot run are refused with a 400 naming the field.
import { type ApiError, apiError } from '@gw/contracts';
import { bad, describe, isObject, type Json, unsupported } from '../http/body-checks.js';

/** The request's fields a Responses answer repeats back. */
export interface ResponsesEcho {
  instructions: string | null;
  max_output_tokens: number | null;
  temperature: number | null;
  top_p: number | null;
  tools: unknown[];
  tool_choice: unknown;
  parallel_tool_calls: boolean;
  text: unknown;
  metadata: unknown;
}

function contentParts(content: unknown, param: string): Json[] | string | ApiError {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return bad(param, 'a string or an array of content parts');
  const parts: Json[] = [];
  for (let i = 0; i < content.length; i++) {
    const p = content[i];
    const at = `${param}.${i}`;
    if (!isObject(p)) return bad(at, 'each part is an object');
    switch (p.type) {
      case 'input_text':
      case 'output_text':
      case 'text':
        if (typeof p.text !== 'string') return bad(`${at}.text`, 'a string');
        parts.push({ type: 'text', text: p.text });
        break;
      case 'input_image':
        if (typeof p.image_url !== 'string')
          return unsupported(`${at}.image_url`, 'an image URL or data URL (file ids are not served)');
        parts.push({
          type: 'image_url',
          image_url: { url: p.image_url, ...(typeof p.detail === 'string' && { detail: p.detail }) },
        });
        break;
      case 'refusal':
        if (typeof p.refusal === 'string') parts.push({ type: 'text', text: p.refusal });
        break;
      default:
        return unsupported(`${at}.type`, `${describe(p.type)} parts are not supported by this gateway`);
    }
  }
  return parts;
}

const asText = (parts: Json[] | string) =>
  typeof parts === 'string'
    ? parts
    : parts.map((p) => (p.type === 'text' ? (p.text as string) : '')).join('');

/** The input items → chat messages; consecutive function calls join one assistant message. */
function convertInput(input: unknown, messages: Json[]): ApiError | undefined {
  if (typeof input === 'string') {
    messages.push({ role: 'user', content: input });
    return undefined;
  }
  if (!Array.isArray(input) || input.length === 0)
    return bad('input', 'a string or a non-empty array of items');
  for (let i = 0; i < input.length; i++) {
    const item = input[i];
    const at = `input.${i}`;
    if (!isObject(item)) return bad(at, 'each item is an object');
    const type = item.type ?? 'message';
    if (type === 'message') {
      const role = item.role === 'developer' ? 'system' : item.role;
      if (role !== 'user' && role !== 'assistant' && role !== 'system')
        return bad(`${at}.role`, 'user, assistant, system or developer');
      const parts = contentParts(item.content, `${at}.content`);
      if (!Array.isArray(parts) && typeof parts !== 'string') return parts;
      const onlyText = typeof parts === 'string' || parts.every((p) => p.type === 'text');
      messages.push({ role, content: role !== 'user' || onlyText ? asText(parts) : parts });
    } else if (type === 'function_call') {
      if (typeof item.call_id !== 'string' || typeof item.name !== 'string')
        return bad(at, 'call_id and name are required');
      const call = {
        id: item.call_id,
        type: 'function',
        function: { name: item.name, arguments: typeof item.arguments === 'string' ? item.arguments : '{}' },
      };
      const last = messages[messages.length - 1];
      if (last?.role === 'assistant' && Array.isArray(last.tool_calls))
        (last.tool_calls as Json[]).push(call);
      else messages.push({ role: 'assistant', content: null, tool_calls: [call] });
    } else if (type === 'function_call_output') {
      if (typeof item.call_id !== 'string') return bad(`${at}.call_id`, 'required');
      const output =
        typeof item.output === 'string' ? item.output : contentParts(item.output, `${at}.output`);
      if (!Array.isArray(output) && typeof output !== 'string') return output;
      messages.push({ role: 'tool', tool_call_id: item.call_id, content: asText(output) });
    } else if (type === 'reasoning') {
      // An earlier answer's reasoning: a Chat Completions provider cannot take it back.
    } else return unsupported(`${at}.type`, `${describe(type)} items are not supported by this gateway`);
  }
  return undefined;
}

function convertTools(tools: unknown): Json[] | ApiError {
  if (!Array.isArray(tools)) return bad('tools', 'an array');
  const out: Json[] = [];
  for (let i = 0; i < tools.length; i++) {
    const t = tools[i];
    if (!isObject(t)) return bad(`tools.${i}`, 'each tool is an object');
    if (t.type !== 'function')
      return unsupported(`tools.${i}.type`, `${describe(t.type)} is a built-in tool this gateway cannot run`);
    if (typeof t.name !== 'string' || !t.name) return bad(`tools.${i}.name`, 'required');
    out.push({
      type: 'function',
      function: {
        name: t.name,
        ...(typeof t.description === 'string' && { description: t.description }),
        parameters: isObject(t.parameters) ? t.parameters : { type: 'object', properties: {} },
        ...(typeof t.strict === 'boolean' && { strict: t.strict }),
      },
    });
  }
  return out;
}

function convertToolChoice(choice: unknown): { value: unknown } | { error: ApiError } {
  if (choice === 'auto' || choice === 'none' || choice === 'required') return { value: choice };
  if (isObject(choice) && choice.type === 'function' && typeof choice.name === 'string')
    return { value: { type: 'function', function: { name: choice.name } } };
  return { error: bad('tool_choice', 'auto, none, required or a function by name') };
}

function convertFormat(text: unknown): { value?: Json } | { error: ApiError } {
  if (text === undefined || text === null) return {};
  if (!isObject(text)) return { error: bad('text', 'an object') };
  const f = text.format;
  if (f === undefined || f === null) return {};
  if (!isObject(f)) return { error: bad('text.format', 'an object') };
  if (f.type === 'text') return {};
  if (f.type === 'json_object') return { value: { type: 'json_object' } };
  if (f.type === 'json_schema') {
    if (typeof f.name !== 'string' || !isObject(f.schema))
      return { error: bad('text.format', 'a name and a schema are required') };
    return {
      value: {
        type: 'json_schema',
        json_schema: {
          name: f.name,
          schema: f.schema,
          ...(typeof f.strict === 'boolean' && { strict: f.strict }),
          ...(typeof f.description === 'string' && { description: f.description }),
        },
      },
    };
  }
  return { error: bad('text.format.type', 'text, json_object or json_schema') };
}

/** The Chat Completions body and the fields the answer repeats, or the 400 the request deserves. */
export function responsesToChat(body: unknown): { chat: Json; echo: ResponsesEcho } | { error: ApiError } {
  const fail = (error: ApiError) => ({ error });
  if (!isObject(body)) return fail(apiError('invalid_request', 'The body must be a JSON object.', null));
  if (typeof body.model !== 'string' || !body.model) return fail(bad('model', 'a model name is required'));
  // State the gateway does not keep: the client sends the whole conversation each time instead.
  if (body.previous_response_id != null)
    return fail(
      unsupported(
        'previous_response_id',
        'this gateway keeps no responses; send the whole conversation as input',
      ),
    );
  if (body.store === true)
    return fail(unsupported('store', 'this gateway stores no responses; leave store unset or false'));
  if (body.background === true) return fail(bad('background', 'background responses are not supported'));
  if (body.conversation != null)
    return fail(bad('conversation', 'conversations are not served by this gateway'));
  const messages: Json[] = [];
  if (body.instructions != null) {
    if (typeof body.instructions !== 'string') return fail(bad('instructions', 'a string'));
    if (body.instructions) messages.push({ role: 'system', content: body.instructions });
  }
  const inputError = convertInput(body.input, messages);
  if (inputError) return fail(inputError);
  const chat: Json = { model: body.model, messages };
  if (body.max_output_tokens != null) {
    if (!Number.isInteger(body.max_output_tokens) || (body.max_output_tokens as number) < 1)
      return fail(bad('max_output_tokens', 'a positive integer'));
    chat.max_tokens = body.max_output_tokens;
  }
  for (const field of ['temperature', 'top_p'] as const) {
    const v = body[field];
    if (v == null) continue;
    if (typeof v !== 'number') return fail(bad(field, 'a number'));
    chat[field] = v;
  }
  if (body.tools != null) {
    const tools = convertTools(body.tools);
    if (!Array.isArray(tools)) return fail(tools);
    if (tools.length) chat.tools = tools;
  }
  if (body.tool_choice != null) {
    const choice = convertToolChoice(body.tool_choice);
    if ('error' in choice) return choice;
    chat.tool_choice = choice.value;
  }
  if (body.parallel_tool_calls != null) {
    if (typeof body.parallel_tool_calls !== 'boolean') return fail(bad('parallel_tool_calls', 'a boolean'));
    chat.parallel_tool_calls = body.parallel_tool_calls;
  }
  const format = convertFormat(body.text);
  if ('error' in format) return format;
  if (format.value) chat.response_format = format.value;
  if (body.stream != null) {
    if (typeof body.stream !== 'boolean') return fail(bad('stream', 'a boolean'));
    if (body.stream) chat.stream = true;
  }
  if (typeof body.user === 'string') chat.user = body.user;
  const echo: ResponsesEcho = {
    instructions: typeof body.instructions === 'string' ? body.instructions : null,
    max_output_tokens: (chat.max_tokens as number | undefined) ?? null,
    temperature: (chat.temperature as number | undefined) ?? null,
    top_p: (chat.top_p as number | undefined) ?? null,
    tools: Array.isArray(body.tools) ? body.tools : [],
    tool_choice: body.tool_choice ?? 'auto',
    parallel_tool_calls: body.parallel_tool_calls !== false,
    text: isObject(body.text) ? body.text : { format: { type: 'text' } },
    metadata: isObject(body.metadata) ? body.metadata : {},
  };
  return { chat, echo };
}
