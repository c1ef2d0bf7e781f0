// The public surface of seed/: seeding, the district clock, fingerprints and the CLI/flag helpers that
// bin/rosterlab.ts wires up. The server never imports seed/; the CLI injects the clock into AppDeps.

export { registerSeedCommands } from "./cli.js";
export { type AdvanceSummary, ClockError, createDistrictClock } from "./clock.js";
export { fingerprintDatabase } from "./fingerprint.js";
export {
  addGeneratorOptions,
  DEFAULT_AS_OF,
  type GeneratorOptions,
  type GeneratorOptionsInput,
  GeneratorOptionsSchema,
  generatorOptionsFromFlags,
  LOCALES,
} from "./generator-options.js";
export {
  MassWithdrawalError,
  type MassWithdrawalOptions,
  type MassWithdrawalSummary,
  runMassWithdrawal,
  withMassWithdrawal,
} from "./mass-withdrawal.js";
export { PRESETS, SIZE_NAMES, type SizeName } from "./presets.js";
export { createProgressReporter } from "./progress.js";
export { isDatabaseEmpty, SeedError, type SeedOptions, type SeedSummary, seedDatabase } from "./seed-database.js";
export {
  describeKey,
  keepSnapshot,
  type RestoreOutcome,
  restoreSnapshot,
  type SnapshotKey,
  saveSnapshot,
  snapshotKey,
  type TakenSnapshot,
  takeSnapshot,
} from "./snapshot.js";
