// The Hermes entry: runs the scenarios and prints the results (Hermes has `print`).
import { run } from './scenarios.mjs';

run((line) => print(line)).then(
  (failed) => { if (failed) throw new Error(failed + ' scenario(s) failed'); },
  (e) => { print('not ok - the run crashed: ' + ((e && e.stack) || e)); throw e; },
);
