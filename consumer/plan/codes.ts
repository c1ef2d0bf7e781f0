// Org unit codes as Brightspace accepts them (seed 003, Limitations): the unsupported characters
// \ : ? " “ ” < > | ' ‘ # , % & become `_`, and a code is at most 50 characters. Codes that collide within a kind
// are made unique with a numeric suffix, and every change is reported.

export const MAX_CODE_LENGTH = 50;
const UNSUPPORTED = /[\\:?"“”<>|'‘#,%&]/g;

/** Replaces the unsupported characters and truncates to 50 characters. */
export function sanitizeCode(raw: string): string {
  const cleaned = raw.replace(UNSUPPORTED, "_").trim();
  return [...cleaned].slice(0, MAX_CODE_LENGTH).join("");
}

/** Hands out unique codes per kind: the sanitised code, or `<code>_2`, `_3`… (still within 50 characters). */
export class CodeBook {
  private readonly taken = new Map<string, Map<string, string>>();

  /** Registers a code already held by an org unit (its owner is the sync key, or a marker for manual units). */
  hold(kind: string, code: string, owner: string): void {
    this.byKind(kind).set(code, owner);
  }

  /** A code for `owner`; `changed` says why it differs from the raw value (sanitised, truncated, made unique). */
  assign(kind: string, raw: string, owner: string): { code: string; notes: string[] } {
    const notes: string[] = [];
    const base = sanitizeCode(raw);
    if (base !== raw.trim()) {
      notes.push(
        [...raw.trim()].length > MAX_CODE_LENGTH && base.length === MAX_CODE_LENGTH
          ? `code "${raw}" sanitised/truncated to "${base}"`
          : `code "${raw}" sanitised to "${base}"`,
      );
    }
    const codes = this.byKind(kind);
    let code = base === "" ? "_" : base;
    let n = 1;
    while (codes.has(code) && codes.get(code) !== owner) {
      n += 1;
      const suffix = `_${n}`;
      code = `${[...base].slice(0, MAX_CODE_LENGTH - suffix.length).join("")}${suffix}`;
    }
    if (n > 1) {
      notes.push(`code "${base}" is taken by another ${kind}; made unique as "${code}"`);
    }
    codes.set(code, owner);
    return { code, notes };
  }

  private byKind(kind: string): Map<string, string> {
    let m = this.taken.get(kind);
    if (!m) {
      m = new Map();
      this.taken.set(kind, m);
    }
    return m;
  }
}
