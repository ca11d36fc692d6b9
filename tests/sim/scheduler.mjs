// Virtual time. The simulation process replaces `setTimeout`, `clearTimeout`, `Date.now`,
// `performance.now` and `Math.random` with a seeded world's (install(), before the package is
// imported) and keeps the real `setImmediate` and microtasks to let promises run: the scheduler
// runs one task (a timer, a network answer, a message, a lock grant, a step of the script), then
// waits until every promise that task set going has run (one real `setImmediate`: the microtask
// queue is drained before it), and only then advances virtual time to the next task. So a run depends on its seed
// alone, and thousands of virtual seconds cost nothing.
//
// What it models of a browser's event loop: each task belongs to a context (a tab, or the world:
// the network, the server, the browser's storage and lock services). A timer belongs to the
// context whose task set it (a tab's microtasks all run within that tab's task, so the one that
// runs now is the owner). A frozen context (a background tab the browser froze, a device asleep)
// runs none of its tasks until it wakes; they then run in their order. Monotonic time (what
// timers and `performance.now` count) and the device's wall clock (`Date.now`) are separate: the
// wall clock can be set back and forth, and jumps when the device sleeps (monotonic time, as on
// Linux and macOS, does not count the sleep), and the server's clock has its own offset.

const realSetImmediate = globalThis.setImmediate;
const realPerformanceNow = performance.now.bind(performance);

/** Real elapsed ms (for timing the run itself), whatever install() did to `performance.now`. */
export const realElapsed = () => realPerformanceNow();
const idle = () => new Promise((resolve) => realSetImmediate(resolve));

/** The wall-clock time at which every run begins (a Monday morning, UTC). */
export const EPOCH = Date.UTC(2026, 11, 7, 9, 0, 0);

let active = null;

/**
 * Installs the virtual globals once per process; each run then makes its own scheduler active.
 * Node's own timers stay real for Node's internals.
 */
export function install() {
  if (globalThis.__simInstalled) return;
  globalThis.__simInstalled = true;
  const realNow = Date.now;
  globalThis.setTimeout = (fn, ms, ...args) => active.timer(fn, ms, args);
  globalThis.clearTimeout = (handle) => active && active.clear(handle);
  globalThis.setInterval = () => {
    throw new Error('the simulated world has no setInterval (the shell does not use it)');
  };
  Date.now = () => (active ? active.deviceNow() : realNow());
  performance.now = () => (active ? active.mono : realPerformanceNow());
  Math.random = () => active.random();
}

/** A scheduler for one run; `random` is the seeded source `Math.random` draws from. */
export function scheduler(random) {
  const heap = [];
  let seq = 0;
  let order = 0;
  const less = (a, b) => a.at < b.at || (a.at === b.at && a.seq < b.seq);
  const push = (task) => {
    heap.push(task);
    let i = heap.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!less(heap[i], heap[p])) break;
      [heap[i], heap[p]] = [heap[p], heap[i]];
      i = p;
    }
  };
  const pop = () => {
    const top = heap[0];
    const last = heap.pop();
    if (heap.length > 0) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && less(heap[l], heap[m])) m = l;
        if (r < heap.length && less(heap[r], heap[m])) m = r;
        if (m === i) break;
        [heap[i], heap[m]] = [heap[m], heap[i]];
        i = m;
      }
    }
    return top;
  };

  const s = {
    /** Monotonic ms since the run began: what timers count. */
    mono: 0,
    /** The device's wall clock minus EPOCH + mono (set back and forth by the script). */
    deviceOffset: 0,
    /** The server's wall clock minus EPOCH + mono. */
    serverOffset: 0,
    /** The context whose task runs now (a tab's name, or null: the world). */
    current: null,
    /** Context -> monotonic ms until which it is frozen. */
    frozen: new Map(),
    /** Exceptions thrown by tasks (a shell timer that throws is a bug). */
    errors: [],
    /** Called after each task, once its promises have run. */
    afterTask: null,
    /** Tasks run so far. */
    ran: 0,
    /** A number for something that happens now, larger than every one handed out before. */
    order: () => ++order,
    random: () => random.next(),
    deviceNow: () => Math.floor(EPOCH + s.mono + s.deviceOffset),
    serverNow: () => EPOCH + s.mono + s.serverOffset,
    /** `setTimeout` as the shell sees it: a timer of the current context. */
    timer(fn, ms, args) {
      const delay = Number(ms);
      const task = { at: s.mono + (delay > 0 ? delay : 0), seq: seq++, ctx: s.current, fn: () => fn(...args), cancelled: false, shell: true };
      push(task);
      return {
        task,
        unref() { return this; },
        ref() { return this; },
        hasRef: () => true,
        refresh() { return this; },
      };
    },
    clear(handle) {
      if (handle && handle.task) handle.task.cancelled = true;
    },
    /** Runs `fn` as a task of context `ctx` in `ms` (virtual). Returns a cancel function. */
    at(ms, ctx, fn) {
      const task = { at: s.mono + Math.max(0, ms), seq: seq++, ctx, fn, cancelled: false, shell: false };
      push(task);
      return () => { task.cancelled = true; };
    },
    /** Freezes context `ctx` for `ms` from now (a longer freeze already set stands). */
    freeze(ctx, ms) {
      s.frozen.set(ctx, Math.max(s.frozen.get(ctx) || 0, s.mono + ms));
    },
    isFrozen: (ctx) => (s.frozen.get(ctx) || 0) > s.mono,
    /** Live shell timers of context `ctx` (after dispose there must be none). */
    shellTimers: (ctx) => heap.filter((t) => t.shell && !t.cancelled && t.ctx === ctx).length,
    pending: () => heap.some((t) => !t.cancelled),
    nextAt: () => {
      while (heap.length > 0 && heap[0].cancelled) pop();
      return heap.length > 0 ? heap[0].at : Infinity;
    },
    /**
     * Runs `fn` now as context `ctx`, then lets its promises run; resolves with what `fn`
     * returned, but never waits for a promise it returned (that may need the scheduler to run).
     */
    async enter(ctx, fn) {
      s.current = ctx;
      let value;
      try {
        value = fn();
        await idle(); // its promises run as `ctx` too
      } finally {
        s.current = null;
      }
      return value !== null && typeof value === 'object' && typeof value.then === 'function' ? undefined : value;
    },
    /**
     * Runs tasks in order until monotonic ms `until` (or none is left, or `stop()` says so),
     * then sets the clock to `until` when it is finite.
     */
    async run(until = Infinity, stop = null) {
      await idle();
      for (;;) {
        if (stop && stop()) return;
        const at = s.nextAt();
        if (at > until || at === Infinity) break;
        const task = pop();
        const frozenUntil = task.ctx === null ? 0 : s.frozen.get(task.ctx) || 0;
        if (frozenUntil > task.at) {
          task.at = frozenUntil; // keeps its seq: a frozen tab's tasks run in their order
          push(task);
          continue;
        }
        s.mono = Math.max(s.mono, task.at);
        s.current = task.ctx;
        s.ran++;
        try {
          task.fn();
        } catch (error) {
          s.errors.push(`a task of ${task.ctx || 'the world'} threw: ${error && error.stack ? error.stack.split('\n').slice(0, 3).join(' / ') : String(error)}`);
        }
        await idle(); // its promises run as its context too
        s.current = null;
        if (s.afterTask) s.afterTask();
      }
      if (until !== Infinity) s.mono = Math.max(s.mono, until);
    },
  };
  active = s;
  return s;
}
