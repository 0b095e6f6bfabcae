// The tool calls a Chat Completions stream delivers, gathered per call: by `index`, and as a new call when a
// delta names a different id at an index (providers that send no index, or reuse one). Interleaved deltas of
// parallel calls land in their own call, whatever order they come in.
type Json = Record<string, unknown>;

export interface GatheredCall {
  id: string | undefined;
  name: string;
  arguments: string;
}

export class ToolCallSlots {
  private readonly calls: GatheredCall[] = [];
  /** The call each chat index currently writes to. */
  private readonly byIndex = new Map<number, GatheredCall>();

  add(delta: Json): void {
    const fn = (delta.function ?? {}) as Json;
    const index = typeof delta.index === 'number' ? delta.index : -1;
    const id = typeof delta.id === 'string' && delta.id ? delta.id : undefined;
    let call = this.byIndex.get(index);
    if (!call || (id !== undefined && call.id !== undefined && call.id !== id)) {
      call = { id, name: '', arguments: '' };
      this.calls.push(call);
      this.byIndex.set(index, call);
    }
    if (id !== undefined) call.id ??= id;
    if (typeof fn.name === 'string') call.name += fn.name;
    if (typeof fn.arguments === 'string') call.arguments += fn.arguments;
  }

  /** Every call, in the order each began. */
  all(): readonly GatheredCall[] {
    return this.calls;
  }
}
