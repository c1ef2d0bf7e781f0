// The consumer scorecard as the conformance suite reads it: fetched over HTTP from a rosterlab provider's admin API
// (GET /admin/clients/{id}/scorecard) through an injected fetch, and parsed with zod at this edge.
import { z } from "zod";

export const VerdictSchema = z.object({
  id: z.string(),
  title: z.string(),
  section: z.string(),
  outcome: z.enum(["pass", "fail", "not-applicable"]),
  summary: z.string(),
  evidence: z.array(
    z.object({
      id: z.number(),
      at: z.string(),
      method: z.string(),
      path: z.string(),
      query: z.string().nullable(),
      status: z.number(),
      note: z.string().optional(),
    }),
  ),
});
export type Verdict = z.infer<typeof VerdictSchema>;

export const ScorecardSchema = z.object({
  clientId: z.string(),
  since: z.string().nullable(),
  until: z.string().nullable(),
  requests: z.number(),
  verdicts: z.array(VerdictSchema),
  summary: z.record(z.string(), z.number()),
});
export type Scorecard = z.infer<typeof ScorecardSchema>;

export type FetchFn = (input: string, init?: RequestInit) => Promise<Response>;

/** A refusal or an unreadable answer, said in one line. */
export class ScorecardError extends Error {
  override name = "ScorecardError";
}

export interface ScorecardRequest {
  /** The provider's origin, e.g. http://127.0.0.1:8080 */
  url: string;
  adminToken: string;
  clientId: string;
  since?: string;
  until?: string;
  fetchFn?: FetchFn;
}

export async function fetchScorecard(req: ScorecardRequest): Promise<Scorecard> {
  const query = new URLSearchParams();
  if (req.since) {
    query.set("since", req.since);
  }
  if (req.until) {
    query.set("until", req.until);
  }
  const url = `${req.url.replace(/\/$/, "")}/admin/clients/${encodeURIComponent(req.clientId)}/scorecard${query.size ? `?${query}` : ""}`;
  const fetchFn = req.fetchFn ?? ((input, init) => fetch(input, init));
  let res: Response;
  try {
    res = await fetchFn(url, { headers: { authorization: `Bearer ${req.adminToken}`, accept: "application/json" } });
  } catch (error) {
    throw new ScorecardError(`cannot reach ${req.url}: ${(error as Error).message}`);
  }
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new ScorecardError(`${url} answered ${res.status} with a body that is not JSON`);
  }
  if (res.status !== 200) {
    const description = (body as { statusInfoSet?: { imsx_description?: string }[] })?.statusInfoSet?.[0]
      ?.imsx_description;
    throw new ScorecardError(`${url} answered ${res.status}${description ? `: ${description}` : ""}`);
  }
  const parsed = ScorecardSchema.safeParse(body);
  if (!parsed.success) {
    throw new ScorecardError(`${url} answered a scorecard this suite cannot read: ${parsed.error.message}`);
  }
  return parsed.data;
}

/** The level of a verdict, from its title (MUST or SHOULD). */
export function levelOf(v: Verdict): "MUST" | "SHOULD" | "MAY" {
  const word = v.title.split(" ", 1)[0];
  return word === "MUST" || word === "SHOULD" ? word : "MAY";
}

/** 1 when a verdict at or above the level failed, else 0. */
export function consumerExitCode(card: Scorecard, failOn: "must" | "should"): number {
  return card.verdicts.some((v) => v.outcome === "fail" && (failOn === "should" || levelOf(v) === "MUST")) ? 1 : 0;
}
