// People and place names from a localized, separately seeded faker instance, with usernames and emails
// that are unique by construction (a district-wide serial), so streaming needs no set of names. seed/ only.
import { base, da, en, en_US, Faker, fi, nb_NO, nl, sv } from "@faker-js/faker";
import type { LocaleName } from "./generator-options.js";
import type { Rng } from "./random.js";

const LOCALE_DEFS = { en_US: [en_US], nb_NO: [nb_NO], sv_SE: [sv], nl: [nl], da: [da], fi: [fi] } as const;

/** A fresh faker for one stream; its own instance, so concurrent generations never share state. */
export function createFaker(locale: LocaleName, seed: number): Faker {
  const f = new Faker({ locale: [...LOCALE_DEFS[locale], en, base] });
  f.seed(seed);
  return f;
}

/** Names with diacritics and apostrophes, mixed in on purpose (edge case). */
export const AWKWARD_GIVEN = ["Zoë", "José", "Åsa", "Søren", "Chloé", "Siobhán", "Jüri", "Ngaio'a", "Renée", "Björn"];
export const AWKWARD_FAMILY = [
  "O'Brien",
  "D'Angelo",
  "Ørsted",
  "Müller-Lüdenscheidt",
  "Nyström",
  "N'Diaye",
  "Þórsdóttir",
  "Señor-López",
];

/** ASCII slug of a name for usernames: diacritics folded, everything else dropped. */
export function slug(name: string): string {
  const folded = name
    .replace(/[æÆ]/g, "ae")
    .replace(/[øØ]/g, "o")
    .replace(/ß/g, "ss")
    .replace(/[þÞ]/g, "th")
    .replace(/[đĐð]/g, "d")
    .normalize("NFD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]/g, "");
  return folded.length > 0 ? folded.slice(0, 20) : "user";
}

export function usernameFor(given: string, family: string, serial: number): string {
  return `${slug(given)}.${slug(family)}${serial}`;
}

export interface PersonName {
  givenName: string;
  familyName: string;
  middleName: string | null;
}

export function personName(
  f: Faker,
  rng: Rng,
  sex: "male" | "female",
  awkward: boolean,
  familyName?: string,
): PersonName {
  const givenName = awkward ? rng.pick(AWKWARD_GIVEN) : f.person.firstName(sex);
  const family = familyName ?? (awkward ? rng.pick(AWKWARD_FAMILY) : f.person.lastName());
  const middleName = rng.chance(0.3) ? f.person.firstName(sex) : null;
  return { givenName, familyName: family, middleName };
}

type Level = "elementary" | "middle" | "high";

const SCHOOL_WORDS: Record<LocaleName, Record<Level, string> & { district: string }> = {
  en_US: { elementary: "Elementary School", middle: "Middle School", high: "High School", district: "Public Schools" },
  nb_NO: {
    elementary: "barneskole",
    middle: "ungdomsskole",
    high: "videregående skole",
    district: "kommune skoleetat",
  },
  sv_SE: {
    elementary: "lågstadieskola",
    middle: "högstadieskola",
    high: "gymnasium",
    district: "kommun skolförvaltning",
  },
  nl: { elementary: "Basisschool", middle: "Middenschool", high: "Lyceum", district: "Scholengroep" },
  da: { elementary: "Skole", middle: "Overbygningsskole", high: "Gymnasium", district: "Kommune Skoleforvaltning" },
  fi: { elementary: "alakoulu", middle: "yläkoulu", high: "lukio", district: "kaupungin opetustoimi" },
};

export function districtName(f: Faker, locale: LocaleName): string {
  return `${f.location.city()} ${SCHOOL_WORDS[locale].district}`;
}

export function schoolName(f: Faker, locale: LocaleName, level: Level): string {
  return `${f.person.lastName()} ${SCHOOL_WORDS[locale][level]}`;
}

/** A DNS-safe domain for the district's staff and student emails. */
export function districtDomain(name: string): string {
  const first = slug(name.split(" ")[0] ?? "district");
  return `${first}.k12.example.org`;
}
