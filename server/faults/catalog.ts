// Every fault preset by name — the quirks of presets.ts and the transport faults of transport.ts — and fault specs as
// people type them: `name` or `name:key=value,key=value` (list values joined by `+`), on the CLI (`--quirk`), in
// PUT /admin/quirks, and in the X-Rosterlab-Fault request header (several specs separated by `;`).
import { z } from "zod";
import { isQuirkName, QUIRKS, type QuirkName } from "./presets.js";
import {
  COMMON_PARAMS,
  isTransportFaultName,
  PARAMETER_HELP,
  TRANSPORT_FAULT_NAMES,
  TRANSPORT_FAULTS,
  type TransportFaultName,
  transportParamNames,
} from "./transport.js";

export type FaultName = QuirkName | TransportFaultName;

export function isFaultName(name: string): name is FaultName {
  return isQuirkName(name) || isTransportFaultName(name);
}

/** Every preset name, quirks first (read each time: presets.ts may grow). */
export function faultNames(): FaultName[] {
  return [...(Object.keys(QUIRKS) as QuirkName[]), ...TRANSPORT_FAULT_NAMES];
}

/** A preset with the parameters given for it (strings from a spec, or JSON values); not yet validated. */
export interface FaultSpec {
  name: FaultName;
  params: Record<string, unknown>;
}

/** A spec that failed to parse or validate; the message says what to change. */
export class FaultSpecError extends Error {
  override name = "FaultSpecError";
}

/** Quirks take the common parameters only (where and how long). */
const QUIRK_PARAMS = z.strictObject({ ...COMMON_PARAMS });

function schemaOf(name: FaultName): z.ZodType<Record<string, unknown>> {
  return (isTransportFaultName(name) ? TRANSPORT_FAULTS[name].params : QUIRK_PARAMS) as unknown as z.ZodType<
    Record<string, unknown>
  >;
}

/** The parameter names a preset takes. */
export function paramNames(name: FaultName): string[] {
  return isTransportFaultName(name) ? transportParamNames(name) : Object.keys(COMMON_PARAMS);
}

/** Validated parameters with defaults applied; throws FaultSpecError naming the preset and the bad parameter. */
export function resolveParams(spec: FaultSpec): Record<string, unknown> {
  const parsed = schemaOf(spec.name).safeParse(spec.params);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => {
      if (i.code === "unrecognized_keys") {
        return `unknown parameter ${i.keys.join(", ")} (takes ${paramNames(spec.name).join(", ")})`;
      }
      const at = i.path.length > 0 ? `${i.path.join(".")}: ` : "";
      return `${at}${i.message}`;
    });
    throw new FaultSpecError(`${spec.name}: ${problems.join("; ")}`);
  }
  return parsed.data;
}

/** Checks a spec (name and parameters); returns it unchanged, with its parameters as given. */
export function checkSpec(spec: FaultSpec): FaultSpec {
  resolveParams(spec);
  return spec;
}

function unknownName(name: string): FaultSpecError {
  return new FaultSpecError(`unknown fault preset: ${name}; GET /admin/quirks lists them`);
}

/** `name` or `name:key=value,key=value`. */
export function parseFaultSpec(text: string): FaultSpec {
  const trimmed = text.trim();
  const colon = trimmed.indexOf(":");
  const name = colon < 0 ? trimmed : trimmed.slice(0, colon).trim();
  if (!isFaultName(name)) {
    throw unknownName(name);
  }
  const params: Record<string, unknown> = {};
  if (colon >= 0) {
    for (const part of trimmed.slice(colon + 1).split(",")) {
      if (part.trim() === "") {
        continue;
      }
      const eq = part.indexOf("=");
      if (eq <= 0) {
        throw new FaultSpecError(`${name}: parameter '${part.trim()}' must look like key=value`);
      }
      const key = part.slice(0, eq).trim();
      if (Object.hasOwn(params, key)) {
        throw new FaultSpecError(`${name}: parameter ${key} is given twice`);
      }
      params[key] = part.slice(eq + 1).trim();
    }
  }
  return checkSpec({ name, params });
}

/** A spec from JSON: a spec string, `{ "name": …, "params": {…} }` or `{ "name": …, …params }`. */
export function parseFaultInput(value: unknown): FaultSpec {
  if (typeof value === "string") {
    return parseFaultSpec(value);
  }
  if (!value || typeof value !== "object" || Array.isArray(value)) {
    throw new FaultSpecError('a fault is a string such as "latency:ms=200" or an object {"name": …, "params": {…}}');
  }
  const { name, params, ...rest } = value as Record<string, unknown>;
  if (typeof name !== "string") {
    throw new FaultSpecError('a fault object needs a string "name"');
  }
  if (!isFaultName(name)) {
    throw unknownName(name);
  }
  if (params !== undefined && (typeof params !== "object" || params === null || Array.isArray(params))) {
    throw new FaultSpecError(`${name}: "params" must be an object`);
  }
  return checkSpec({ name, params: { ...(params as Record<string, unknown> | undefined), ...rest } });
}

/** Specs of the X-Rosterlab-Fault header: `spec; spec`. */
export function parseFaultHeader(value: string): FaultSpec[] {
  return value
    .split(";")
    .map((s) => s.trim())
    .filter((s) => s !== "")
    .map(parseFaultSpec);
}

/** The spec string of a preset and its given parameters (the inverse of parseFaultSpec). */
export function formatFaultSpec(spec: FaultSpec): string {
  // In the preset's own parameter order (a jsonb column does not keep the order they were given in).
  const order = paramNames(spec.name);
  const rank = (k: string) => (order.includes(k) ? order.indexOf(k) : order.length);
  const entries = Object.entries(spec.params).sort(([a], [b]) => rank(a) - rank(b));
  if (entries.length === 0) {
    return spec.name;
  }
  const value = (v: unknown) => (Array.isArray(v) ? v.join("+") : String(v));
  return `${spec.name}:${entries.map(([k, v]) => `${k}=${value(v)}`).join(",")}`;
}

/** Every preset with its description and parameters, for GET /admin/quirks, --help and docs. */
export function describeFaults(): Record<
  string,
  { kind: "quirk" | "transport"; description: string; params: Record<string, string> }
> {
  const out: Record<string, { kind: "quirk" | "transport"; description: string; params: Record<string, string> }> = {};
  for (const name of faultNames()) {
    const params = Object.fromEntries(paramNames(name).map((p) => [p, PARAMETER_HELP[p] ?? ""]));
    out[name] = isTransportFaultName(name)
      ? { kind: "transport", description: TRANSPORT_FAULTS[name].description, params }
      : { kind: "quirk", description: QUIRKS[name as QuirkName], params };
  }
  return out;
}
