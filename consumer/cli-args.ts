// Argument parsers shared by the consumer's commands (`sync …`, `grades …`): each turns one flag value into a typed
// value or a commander InvalidArgumentError that says what was expected.
import { InvalidArgumentError } from "commander";
import { parseInstant } from "../oneroster/index.js";

/** A date (midnight UTC) or an ISO 8601 date-time with a zone. */
export function instantArg(value: string): Date {
  const d = parseInstant(value);
  if (!d) {
    throw new InvalidArgumentError("expected a date (YYYY-MM-DD) or an ISO 8601 date-time with a zone");
  }
  return d;
}

/** An integer ≥ `min` (1 unless said otherwise); `what` names it in the message. */
export function intArg(min = 1, what = min === 0 ? "a whole number" : "a positive integer") {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) {
      throw new InvalidArgumentError(`expected ${what}`);
    }
    return n;
  };
}

/** Any finite number. */
export function numberArg(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n)) {
    throw new InvalidArgumentError("expected a number");
  }
  return n;
}
