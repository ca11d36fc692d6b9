// BroadcastChannel as browsers relay it between tabs (processes): a message reaches every other
// open channel of the same name after a seeded delay, in the order its sender posted (one lane
// per sending and receiving tab), as a task of the receiving tab (a frozen tab gets it when it wakes).
// Its delay is drawn independently of the storage write the message announces, so it may arrive
// before that write reaches the receiver's storage, or well after it: up to 600 ms.

/** A message's delay on its way to one tab. */
export function messageDelay(rand) {
  return rand.weighted([[60, () => rand.between(0, 10)], [30, () => rand.between(10, 150)], [10, () => rand.between(150, 600)]])();
}

/** The channels of one browser: `classFor(ctx)` is the BroadcastChannel class of tab `ctx`. */
export function channels({ sched, rand, onDeliver, delay = messageDelay }) {
  const open = new Set();
  const lanes = new Map();
  let nextId = 1;
  return {
    classFor(ctx) {
      return class BroadcastChannel {
        constructor(name) {
          this.name = String(name);
          this.onmessage = null;
          this.ctx = ctx;
          this.id = nextId++;
          open.add(this);
        }
        postMessage(data) {
          if (!open.has(this)) throw new Error('InvalidStateError: the channel is closed');
          for (const to of open) {
            if (to === this || to.name !== this.name) continue;
            // One lane per pair of tabs: a tab's messages arrive in the order it posted them,
            // also across a reload (the browser relays them).
            const lane = `${this.ctx}>${to.ctx}`;
            const at = Math.max(lanes.get(lane) || 0, sched.mono + delay(rand));
            lanes.set(lane, at);
            const from = this.ctx;
            const posted = sched.order(); // when it was posted, in the run's order
            sched.at(at - sched.mono, to.ctx, () => {
              if (!open.has(to)) return;
              if (onDeliver) onDeliver(from, to.ctx, data, posted);
              if (typeof to.onmessage === 'function') to.onmessage({ data, type: 'message' });
            });
          }
        }
        close() {
          open.delete(this);
        }
        addEventListener() {
          throw new Error('the simulated BroadcastChannel has onmessage only (the shell uses no other)');
        }
      };
    },
  };
}
