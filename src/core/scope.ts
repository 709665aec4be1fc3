/**
 * Memory scopes. Every tensor created while a scope is open is tracked by it; when the scope
 * closes, the tracked tensors that are not part of its result (and not `keep`-ed) are disposed.
 * Works for synchronous and asynchronous functions. Async scopes must not interleave (await one
 * before opening the next at the same level): the scope stack is global, as in TensorFlow.js.
 */

export interface Disposable {
  dispose(): void;
  readonly isDisposed: boolean;
}

const scopeStack: Set<Disposable>[] = [];
const kept = new WeakSet<Disposable>();

/** Called by the tensor constructor. */
export function trackTensor(t: Disposable): void {
  const top = scopeStack[scopeStack.length - 1];
  if (top && !kept.has(t)) top.add(t);
}

/** Remove a tensor from every open scope: it outlives them (parameters, .grad, optimizer state). */
export function keep<T extends Disposable>(t: T): T {
  kept.add(t);
  for (const s of scopeStack) s.delete(t);
  return t;
}

function collect(result: unknown, into: Set<Disposable>, depth = 0): void {
  if (result === null || result === undefined || depth > 4) return;
  if (typeof result !== 'object') return;
  if ('dispose' in result && 'isDisposed' in result) {
    into.add(result as Disposable);
    return;
  }
  if (Array.isArray(result)) {
    for (const r of result) collect(r, into, depth + 1);
    return;
  }
  if (result instanceof Map) {
    for (const v of result.values()) collect(v, into, depth + 1);
    return;
  }
  if (Object.getPrototypeOf(result) === Object.prototype) {
    for (const v of Object.values(result)) collect(v, into, depth + 1);
  }
}

function closeScope(scope: Set<Disposable>, result: unknown): void {
  const idx = scopeStack.lastIndexOf(scope);
  if (idx >= 0) scopeStack.splice(idx, 1);
  const returned = new Set<Disposable>();
  collect(result, returned);
  const parent = scopeStack[scopeStack.length - 1];
  for (const t of scope) {
    if (returned.has(t)) {
      parent?.add(t); // the result now belongs to the enclosing scope
    } else if (!t.isDisposed) {
      t.dispose();
    }
  }
}

/**
 * Run fn in a scope; dispose every tensor it created except those in its result (a tensor, or
 * arrays/plain objects/Maps of tensors). An async fn returns a promise and the scope closes when
 * it settles.
 */
export function tidy<T>(fn: () => T): T {
  const scope = new Set<Disposable>();
  scopeStack.push(scope);
  let result: T;
  try {
    result = fn();
  } catch (e) {
    closeScope(scope, undefined);
    throw e;
  }
  if (result instanceof Promise) {
    return result.then(
      (v) => { closeScope(scope, v); return v; },
      (e) => { closeScope(scope, undefined); throw e; },
    ) as T;
  }
  closeScope(scope, result);
  return result;
}

/** Number of open scopes (for tests and diagnostics). */
export function scopeDepth(): number {
  return scopeStack.length;
}
