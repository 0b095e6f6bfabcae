// A request's "stop", as undici takes it: an EventEmitter that emits 'abort' is accepted wherever an AbortSignal
// is (Dispatcher.RequestOptions.signal). An AbortController's signal, with one listener added and removed, cost
// ~10 µs of CPU here against ~0.5 for an emitter, and the gateway needs two per request (issue #14).
import { EventEmitter } from 'node:events';

export class AbortFlag extends EventEmitter {
  aborted = false;

  /**
   * Once: later calls do nothing. undici fails the request with its own RequestAbortedError (the flag has no
   * `reason`). A listener that throws throws here (an AbortSignal reports it apart), and the caller's next steps
   * would not run: none may throw. undici's and the provider queue's do not.
   */
  abort() {
    if (this.aborted) return;
    this.aborted = true;
    this.emit('abort');
  }
}
