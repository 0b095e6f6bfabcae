// What an answer holds before it is framed as JSON or SSE: its choices (n, best_of, prompt arrays, tool
// calls, reasoning) and the usage of everything generated.
import { contentText, countChatTokens, countInputTokens, countTextTokens } from '@gw/tokenizer';
import type { Behaviour } from './behaviour.js';
import { replyText, toolCallId } from './replies.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- request bodies are arbitrary JSON here
type Json = Record<string, any>;

export interface ToolCall {
  id: string;
  name: string;
  arguments: string;
}

export interface Choice {
  index: number;
  /** The content ('' when the choice is a tool call). */
  text: string;
  reasoning?: string;
  toolCall?: ToolCall;
}

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  completion_tokens_details?: { reasoning_tokens: number };
}

export interface Answer {
  choices: Choice[];
  usage: Usage;
}

/** A parameter OpenAI would refuse with a 400. */
export interface BadParam {
  message: string;
  param: string;
  code: string;
}

const MAX_CHOICES = 128;

function kindOf(v: unknown): string {
  if (typeof v === 'number') return 'a decimal number';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

/** `n` or `best_of` as OpenAI checks it; absent or null means `fallback`. */
function choiceCount(body: Json, param: 'n' | 'best_of', fallback: number): number | BadParam {
  const v: unknown = body[param];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'number' || !Number.isInteger(v))
    return {
      param,
      code: 'invalid_type',
      message: `Invalid type for '${param}': expected an integer, but got ${kindOf(v)} instead.`,
    };
  if (v < 1)
    return {
      param,
      code: 'integer_below_min_value',
      message: `Invalid '${param}': integer below minimum value. Expected a value >= 1, but got ${v} instead.`,
    };
  if (v > MAX_CHOICES)
    return {
      param,
      code: 'integer_above_max_value',
      message: `Invalid '${param}': integer above maximum value. Expected a value <= ${MAX_CHOICES}, but got ${v} instead.`,
    };
  return v;
}

const dropLastWord = (text: string) => text.slice(0, Math.max(0, text.lastIndexOf(' ')));

/** The tool to call: the one tool_choice names, else the first function tool offered. */
function chosenTool(body: Json): { name: string; parameters: unknown } {
  const tools: Json[] = Array.isArray(body.tools) ? body.tools.filter((t: Json) => t?.function) : [];
  const chosen: unknown = body.tool_choice?.function?.name;
  const tool = tools.find((t) => t.function.name === chosen) ?? tools[0];
  const name: unknown = typeof chosen === 'string' ? chosen : tool?.function?.name;
  return { name: typeof name === 'string' ? name : 'demo_lookup', parameters: tool?.function?.parameters };
}

/**
 * Whether this chat turn answers with a tool call: always under the toolCalls switch; otherwise when function
 * tools are offered, tool_choice does not say "none", and the last message is not already a tool's result
 * (so a client's tool round trip ends in text).
 */
function callsTool(body: Json, b: Behaviour): boolean {
  if (b.toolCalls) return true;
  const offered = Array.isArray(body.tools) && body.tools.some((t: Json) => t?.function);
  const messages: Json[] = Array.isArray(body.messages) ? body.messages : [];
  return offered && body.tool_choice !== 'none' && messages[messages.length - 1]?.role !== 'tool';
}

/**
 * Arguments that fit the tool's JSON schema, deterministically: each property by its type (strings carry
 * `text`), enums their first value; a tool without properties gets {"answer": text}.
 */
export function argumentsFor(schema: unknown, text: string): unknown {
  const s = (schema ?? {}) as Json;
  if (Array.isArray(s.enum) && s.enum.length) return s.enum[0];
  const type = Array.isArray(s.type) ? s.type[0] : s.type;
  if (type === 'object' || s.properties) {
    const props: Json = s.properties && typeof s.properties === 'object' ? s.properties : {};
    const names = Object.keys(props);
    if (!names.length) return { answer: text };
    return Object.fromEntries(names.slice(0, 32).map((n) => [n, argumentsFor(props[n], text)]));
  }
  if (type === 'integer' || type === 'number') return 42;
  if (type === 'boolean') return true;
  if (type === 'array') return [];
  if (type === 'null') return null;
  return text;
}

interface Generated {
  choice: Omit<Choice, 'index'>;
  tokens: number;
  reasoningTokens: number;
}

/**
 * One completion: reasoning first (it counts against the cap, as OpenAI's does), then text or a tool call,
 * trimmed to what is left (a tool call's name and empty arguments can still pass a tiny cap).
 */
function generate(seed: string, variant: number, body: Json, b: Behaviour, chat: boolean): Generated {
  const max: unknown = typeof body.max_tokens === 'number' ? body.max_tokens : body.max_completion_tokens;
  let cap = typeof max === 'number' && !b.ignoreMaxTokens ? max : undefined;
  const opts = { variant, multiByte: b.splitUtf8 };
  let reasoning: string | undefined;
  let reasoningTokens = 0;
  if (chat && b.reasoning) {
    // Half the cap at most, so the answer after it gets some too.
    const reasoningCap = cap === undefined ? undefined : Math.floor(cap / 2);
    reasoning = replyText(`${seed}\u0000reasoning`, Math.ceil(b.replyWords / 2), reasoningCap, opts);
    reasoningTokens = countTextTokens(reasoning);
    if (cap !== undefined) cap = Math.max(0, cap - reasoningTokens);
  }
  let text = replyText(seed, b.replyWords, cap, opts);
  if (chat && callsTool(body, b)) {
    const { name, parameters } = chosenTool(body);
    const args = (t: string) => JSON.stringify(argumentsFor(parameters, t));
    const cost = (t: string) => countTextTokens(name) + countTextTokens(args(t));
    while (cap !== undefined && text && cost(text) > cap) text = dropLastWord(text);
    return {
      choice: {
        text: '',
        reasoning,
        toolCall: { id: toolCallId(seed, variant), name, arguments: args(text) },
      },
      tokens: reasoningTokens + cost(text),
      reasoningTokens,
    };
  }
  return { choice: { text, reasoning }, tokens: reasoningTokens + countTextTokens(text), reasoningTokens };
}

function usageOf(prompt: number, generated: Generated[]): Usage {
  const completion = generated.reduce((sum, g) => sum + g.tokens, 0);
  const usage: Usage = {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
  };
  if (generated.some((g) => g.choice.reasoning !== undefined))
    usage.completion_tokens_details = {
      reasoning_tokens: generated.reduce((sum, g) => sum + g.reasoningTokens, 0),
    };
  return usage;
}

export function chatAnswer(body: Json, b: Behaviour): Answer | BadParam {
  const messages = Array.isArray(body.messages) ? body.messages : [];
  const n = b.honourN ? choiceCount(body, 'n', 1) : 1;
  if (typeof n !== 'number') return n;
  const seed = contentText(messages[messages.length - 1]?.content);
  const generated = Array.from({ length: n }, (_, i) => generate(seed, i, body, b, true));
  return {
    choices: generated.map((g, index) => ({ index, ...g.choice })),
    usage: usageOf(countChatTokens(messages), generated),
  };
}

/** The prompts of a completions request: an array of texts (or of token arrays) is several prompts. */
function promptsOf(prompt: unknown): unknown[] {
  const several =
    Array.isArray(prompt) && prompt.length > 0 && !prompt.every((x: unknown) => typeof x === 'number');
  return several ? prompt : [prompt];
}

export function textAnswer(body: Json, b: Behaviour): Answer | BadParam {
  let n = 1;
  let bestOf = 1;
  let prompts: unknown[] = [body.prompt];
  if (b.honourN) {
    const asked = choiceCount(body, 'n', 1);
    if (typeof asked !== 'number') return asked;
    const best = choiceCount(body, 'best_of', asked);
    if (typeof best !== 'number') return best;
    if (best < asked)
      return {
        param: 'best_of',
        code: 'invalid_value',
        message: 'best_of must be greater than or equal to n.',
      };
    [n, bestOf, prompts] = [asked, best, promptsOf(body.prompt)];
  }
  const choices: Choice[] = [];
  const generated: Generated[] = [];
  prompts.forEach((prompt, p) => {
    const seed = JSON.stringify(prompt ?? '');
    for (let i = 0; i < bestOf; i++) {
      const g = generate(seed, i, body, b, false);
      generated.push(g);
      // The provider returns n of the best_of it generated (the first n: they all score alike here).
      if (i < n) choices.push({ index: p * n + i, ...g.choice });
    }
  });
  const prompt = prompts.reduce<number>((sum, x) => sum + countInputTokens(x), 0);
  return { choices, usage: usageOf(prompt, generated) };
}
