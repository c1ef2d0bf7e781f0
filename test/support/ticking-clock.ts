// createTickingClock: a test clock that moves 1 ms each time it is read, so every write gets its own
// dateLastModified (an update is later than its create) while runs stay deterministic: no wall time involved.
import { createTestClock, type TestClock } from "./deps.js";

export function createTickingClock(start: Date | string, stepMs = 1): TestClock {
  const clock = createTestClock(start);
  return {
    ...clock,
    now: () => {
      const at = clock.now();
      clock.advance(stepMs);
      return at;
    },
  };
}
