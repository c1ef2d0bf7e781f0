// Demographics (demographics / demographics), notes §2.7; sourcedId equals the user's.
import { z } from "zod";
import { baseShape, DateSchema } from "../common.js";
import { GenderSchema } from "../enums.js";
import type { EntityDescriptor } from "../fields.js";
import { baseFields } from "./base.js";

export const DemographicsSchema = z.object({
  ...baseShape,
  birthDate: DateSchema.optional(),
  sex: GenderSchema.optional(),
  americanIndianOrAlaskaNative: z.boolean().optional(),
  asian: z.boolean().optional(),
  blackOrAfricanAmerican: z.boolean().optional(),
  nativeHawaiianOrOtherPacificIslander: z.boolean().optional(),
  white: z.boolean().optional(),
  demographicRaceTwoOrMoreRaces: z.boolean().optional(),
  hispanicOrLatinoEthnicity: z.boolean().optional(),
  countryOfBirthCode: z.string().optional(),
  stateOfBirthAbbreviation: z.string().optional(),
  cityOfBirth: z.string().optional(),
  publicSchoolResidenceStatus: z.string().optional(),
});
export type Demographics = z.infer<typeof DemographicsSchema>;

export const demographicsEntity: EntityDescriptor = {
  name: "demographics",
  collectionKey: "demographics",
  singleKey: "demographics",
  path: "demographics",
  gradebook: false,
  fields: {
    ...baseFields,
    birthDate: { kind: "date" },
    sex: { kind: "enum", values: GenderSchema.options },
    americanIndianOrAlaskaNative: { kind: "boolean" },
    asian: { kind: "boolean" },
    blackOrAfricanAmerican: { kind: "boolean" },
    nativeHawaiianOrOtherPacificIslander: { kind: "boolean" },
    white: { kind: "boolean" },
    demographicRaceTwoOrMoreRaces: { kind: "boolean" },
    hispanicOrLatinoEthnicity: { kind: "boolean" },
    countryOfBirthCode: { kind: "string" },
    stateOfBirthAbbreviation: { kind: "string" },
    cityOfBirth: { kind: "string" },
    publicSchoolResidenceStatus: { kind: "string" },
  },
};
