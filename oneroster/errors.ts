// The imsx_StatusInfo payload of v1p1 (notes §5): codeMajor, severity and codeMinor vocabularies and the body shape.
import { z } from "zod";

export const CodeMajorSchema = z.enum(["success", "processing", "failure", "unsupported"]);
export type CodeMajor = z.infer<typeof CodeMajorSchema>;

export const SeveritySchema = z.enum(["status", "warning", "error"]);
export type Severity = z.infer<typeof SeveritySchema>;

/** The compact codeMinor tokens we emit (notes §5.3). */
export const CodeMinorSchema = z.enum([
  "fullsuccess",
  "unknownobject",
  "invaliddata",
  "unauthorisedrequest",
  "forbidden",
  "server_busy",
  "internal_server_error",
  "invalid_filter_field",
  "invalid_selection_field",
  "invalid_blank_selection_field",
  "invalid_sort_field",
  "unsupportedoperation",
]);
export type CodeMinor = z.infer<typeof CodeMinorSchema>;

/** One status entry: flat `imsx_codeMinor` plus the structured `imsx_CodeMinor` (notes §5.2 recommendation). */
export const StatusInfoSchema = z.object({
  imsx_codeMajor: CodeMajorSchema,
  imsx_severity: SeveritySchema,
  imsx_codeMinor: z.string(),
  imsx_description: z.string().optional(),
  imsx_messageRefIdentifier: z.string().optional(),
  imsx_CodeMinor: z
    .object({
      imsx_codeMinorField: z.array(
        z.object({ imsx_codeMinorFieldName: z.string(), imsx_codeMinorFieldValue: z.string() }),
      ),
    })
    .optional(),
});
export type StatusInfo = z.infer<typeof StatusInfoSchema>;

export const StatusInfoSetSchema = z.object({ statusInfoSet: z.array(StatusInfoSchema).min(1) });
export type StatusInfoSet = z.infer<typeof StatusInfoSetSchema>;

/** Builds one status entry in the shape we emit. */
export function createStatusInfo(
  codeMajor: CodeMajor,
  severity: Severity,
  codeMinor: CodeMinor,
  description?: string,
  messageRef?: string,
): StatusInfo {
  return {
    imsx_codeMajor: codeMajor,
    imsx_severity: severity,
    imsx_codeMinor: codeMinor,
    ...(description ? { imsx_description: description } : {}),
    ...(messageRef ? { imsx_messageRefIdentifier: messageRef } : {}),
    imsx_CodeMinor: {
      imsx_codeMinorField: [{ imsx_codeMinorFieldName: "TargetEndSystem", imsx_codeMinorFieldValue: codeMinor }],
    },
  };
}

/**
 * Reads codeMajor/severity/codeMinor out of any of the three payload shapes seen in the wild (notes §5.2):
 * `statusInfoSet[]`, a bare `imsx_StatusInfo`, prefixed or bare keys, flat or structured codeMinor.
 * Tokens are normalised: lower case, spaces and underscores removed (`unknown object` ≡ `unknownobject`).
 */
export function readStatusInfo(
  body: unknown,
): { codeMajor?: string; severity?: string; codeMinor?: string; description?: string }[] {
  if (!body || typeof body !== "object") {
    return [];
  }
  const obj = body as Record<string, unknown>;
  const entries: unknown[] = Array.isArray(obj.statusInfoSet)
    ? obj.statusInfoSet
    : obj.imsx_StatusInfo && typeof obj.imsx_StatusInfo === "object"
      ? [obj.imsx_StatusInfo]
      : "imsx_codeMajor" in obj || "codeMajor" in obj
        ? [obj]
        : [];
  const norm = (v: unknown) => (typeof v === "string" ? v.toLowerCase().replace(/[\s_]/g, "") : undefined);
  return entries.map((e) => {
    const r = (e ?? {}) as Record<string, unknown>;
    const structured = r.imsx_CodeMinor as
      | { imsx_codeMinorField?: { imsx_codeMinorFieldValue?: string }[] }
      | undefined;
    const minor = r.imsx_codeMinor ?? r.codeMinor ?? structured?.imsx_codeMinorField?.[0]?.imsx_codeMinorFieldValue;
    const description = r.imsx_description ?? r.description;
    return {
      codeMajor: norm(r.imsx_codeMajor ?? r.codeMajor),
      severity: norm(r.imsx_severity ?? r.severity),
      codeMinor: norm(minor),
      description: typeof description === "string" ? description : undefined,
    };
  });
}
