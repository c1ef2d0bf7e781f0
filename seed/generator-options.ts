// Generator options: one zod schema shared by `seed`, `serve` and `advance`, the commander flags that
// feed it (addGeneratorOptions), and the resolved counts. Imported by seed/ and the CLI in bin/.
import type { Command } from "commander";
import { Option } from "commander";
import { z } from "zod";
import { type DistrictCounts, PRESETS, SIZE_NAMES } from "./presets.js";

export const LOCALES = ["en_US", "nb_NO", "sv_SE", "nl", "da", "fi"] as const;
export type LocaleName = (typeof LOCALES)[number];

/**
 * The generator's own version: bump it in any change that alters the rows generated for the same options (it keys
 * the start-up snapshots of seed/snapshot.ts, so a bump makes `npm start` seed afresh instead of restoring).
 */
export const GENERATOR_VERSION = 1;

/** Seeded records take their dateLastModified from this moment unless `--as-of` says otherwise. */
export const DEFAULT_AS_OF = "2026-09-15T12:00:00.000Z";

const positiveInt = z.coerce.number().int().min(0);

/** Per-count overrides; each flag is the kebab-case form (`--classes-per-teacher` → sectionsPerTeacher). */
export const CountOverridesSchema = z
  .object({
    elementarySchools: positiveInt,
    middleSchools: positiveInt,
    highSchools: positiveInt,
    students: positiveInt,
    classSize: z.coerce.number().int().min(1),
    sectionsPerTeacher: z.coerce.number().int().min(1),
    lineItemsPerClass: positiveInt,
    gradebookDensity: z.coerce.number().min(0).max(1),
    aidesPerSchool: positiveInt,
    administratorsPerSchool: positiveInt,
    districtAdministrators: positiveInt,
    resources: positiveInt,
  })
  .partial();

const AsOfSchema = z
  .string()
  .refine((s) => !Number.isNaN(Date.parse(s)), "must be an ISO date or date-time")
  .transform((s) => new Date(/^\d{4}-\d{2}-\d{2}$/.test(s) ? `${s}T12:00:00.000Z` : s).toISOString());

export const GeneratorOptionsSchema = z.object({
  seed: z.coerce
    .number()
    .int()
    .min(0)
    .max(2 ** 31 - 1)
    .default(1),
  size: z.enum(SIZE_NAMES).default("demo"),
  asOf: AsOfSchema.default(DEFAULT_AS_OF),
  locale: z.enum(LOCALES).default("en_US"),
  /** Turn the deliberate edge cases off. */
  clean: z.boolean().default(false),
  counts: CountOverridesSchema.default({}),
});
export type GeneratorOptionsInput = z.input<typeof GeneratorOptionsSchema>;
export type GeneratorOptions = z.output<typeof GeneratorOptionsSchema>;

export function parseGeneratorOptions(input: GeneratorOptionsInput): GeneratorOptions {
  return GeneratorOptionsSchema.parse(input);
}

export function resolveCounts(options: GeneratorOptions): DistrictCounts {
  return { ...PRESETS[options.size], ...options.counts };
}

const COUNT_FLAGS: { key: keyof DistrictCounts; flag: string; help: string }[] = [
  { key: "elementarySchools", flag: "--elementary-schools <n>", help: "elementary schools (grades KG-05)" },
  { key: "middleSchools", flag: "--middle-schools <n>", help: "middle schools (grades 06-08)" },
  { key: "highSchools", flag: "--high-schools <n>", help: "high schools (grades 09-12)" },
  { key: "students", flag: "--students <n>", help: "students across the district" },
  { key: "classSize", flag: "--class-size <n>", help: "target students per section" },
  { key: "sectionsPerTeacher", flag: "--sections-per-teacher <n>", help: "sections per secondary teacher" },
  { key: "lineItemsPerClass", flag: "--line-items-per-class <n>", help: "gradebook lineItems per scheduled class" },
  {
    key: "gradebookDensity",
    flag: "--gradebook-density <x>",
    help: "fraction of scheduled classes with a gradebook (0-1)",
  },
  { key: "aidesPerSchool", flag: "--aides-per-school <n>", help: "aides per school" },
  { key: "administratorsPerSchool", flag: "--administrators-per-school <n>", help: "administrators per school" },
  { key: "districtAdministrators", flag: "--district-administrators <n>", help: "district administrators" },
  { key: "resources", flag: "--resources <n>", help: "resources in the district catalogue" },
];

/** Adds the generator flags to a command (seed, serve). */
export function addGeneratorOptions(cmd: Command, defaults: { size?: string } = {}): Command {
  cmd
    .option("--seed <n>", "random seed; same seed, size, as-of and locale give the same district", "1")
    .addOption(
      new Option("--size <preset>", "district size preset").choices([...SIZE_NAMES]).default(defaults.size ?? "demo"),
    )
    .option(
      "--as-of <date>",
      "the district's 'today' (ISO date); seeded records are last modified just before it",
      DEFAULT_AS_OF,
    )
    .addOption(
      new Option("--locale <locale>", "names, emails and places from this faker locale")
        .choices([...LOCALES])
        .default("en_US"),
    )
    .option("--clean", "leave out the deliberate edge cases", false);
  for (const f of COUNT_FLAGS) {
    cmd.option(f.flag, `override: ${f.help}`);
  }
  return cmd;
}

/** Turns parsed commander flags (from addGeneratorOptions) into validated generator options. */
export function generatorOptionsFromFlags(flags: Record<string, unknown>): GeneratorOptions {
  const counts: Record<string, unknown> = {};
  for (const f of COUNT_FLAGS) {
    if (flags[f.key] !== undefined) {
      counts[f.key] = flags[f.key];
    }
  }
  return GeneratorOptionsSchema.parse({
    seed: flags.seed,
    size: flags.size,
    asOf: flags.asOf,
    locale: flags.locale,
    clean: flags.clean === true,
    counts,
  });
}
