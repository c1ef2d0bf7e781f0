// Types of bin/build.js (plain JavaScript, so the launcher runs without a compiler) for its TypeScript callers.
/** The directories the CLI's code comes from. */
export declare const CLI_DIRS: readonly string[];
/** The directory of an up-to-date build of the TypeScript files under `dirs`; throws when none can be made. */
export declare function ensureBuild(dirs?: readonly string[]): Promise<string>;
