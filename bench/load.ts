// One bounded autocannon run against a 127.0.0.1 URL: requests/s, p99 latency, bytes per response, and every
// error counted. Refuses any other host, so a bench can never load anything but this machine.
import autocannon from "autocannon";

export interface LoadOptions {
  url: string;
  durationSeconds: number;
  connections: number;
  headers?: Record<string, string>;
  /** Path and query of each request in turn (a seeded generator); without it every request asks for `url`. */
  nextPath?: () => string;
}

export interface LoadResult {
  url: string;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  totalRequests: number;
  /** Responses per second is averaged over autocannon's 1 s samples; bytes include headers. */
  bytesPerResponse: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  durationSeconds: number;
  /** CPU the serving process spent per request during the run (Linux only; set by the runner). */
  cpuMsPerRequest: number | null;
  /** CPU every local `postgres` process spent per request during the run (Linux, local server; set by the reads bench). */
  dbCpuMsPerRequest?: number | null;
  /** CPU this process (autocannon) spent per request: near 1000 ÷ req/s means the load generator was the limit. */
  loadgenCpuMsPerRequest: number;
}

export class LoadError extends Error {
  constructor(
    message: string,
    readonly result?: LoadResult,
  ) {
    super(message);
    this.name = "LoadError";
  }
}

export function assertLoopback(url: string): void {
  const host = new URL(url).hostname;
  if (!(host === "localhost" || host === "[::1]" || /^127\.\d+\.\d+\.\d+$/.test(host))) {
    throw new LoadError(`refusing to load ${host}: benches only target 127.0.0.0/8 or [::1]`);
  }
}

/** Runs autocannon once; throws LoadError when any request failed, so a broken target never yields a figure. */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  assertLoopback(options.url);
  const cpuBefore = process.cpuUsage();
  const raw = await autocannon({
    url: options.url,
    connections: options.connections,
    duration: options.durationSeconds,
    pipelining: 1,
    headers: options.headers ?? {},
    timeout: 10,
    ...(options.nextPath
      ? {
          requests: [
            {
              setupRequest: (req: autocannon.Request) => {
                req.path = (options.nextPath as () => string)();
                return req;
              },
            },
          ],
        }
      : {}),
  });
  const result: LoadResult = {
    url: options.url,
    requestsPerSecond: raw.requests.average,
    p50Ms: raw.latency.p50,
    p99Ms: raw.latency.p99,
    totalRequests: raw.requests.total,
    bytesPerResponse: raw.requests.total > 0 ? Math.round(raw.throughput.total / raw.requests.total) : 0,
    non2xx: raw.non2xx,
    errors: raw.errors,
    timeouts: raw.timeouts,
    durationSeconds: raw.duration,
    cpuMsPerRequest: null,
    loadgenCpuMsPerRequest: 0,
  };
  const cpu = process.cpuUsage(cpuBefore);
  result.loadgenCpuMsPerRequest =
    result.totalRequests > 0 ? Number(((cpu.user + cpu.system) / 1000 / result.totalRequests).toFixed(3)) : 0;
  if (result.totalRequests === 0 || result.non2xx > 0 || result.errors > 0 || result.timeouts > 0) {
    throw new LoadError(
      `load on ${shortUrl(options.url)} failed: ${result.totalRequests} requests, ${result.non2xx} non-2xx ` +
        `(4xx ${raw["4xx"]}, 5xx ${raw["5xx"]}), ${result.errors} errors, ${result.timeouts} timeouts`,
      result,
    );
  }
  return result;
}

function shortUrl(url: string): string {
  return url.length > 160 ? `${url.slice(0, 157)}...` : url;
}
