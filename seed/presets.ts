// Named district sizes (tiny for tests, demo for `npm start`, district and large for scale) as counts
// that every `--<count>` flag can override one by one. Pure; seed/ only.

export const SIZE_NAMES = ["tiny", "demo", "district", "large"] as const;
export type SizeName = (typeof SIZE_NAMES)[number];

export interface DistrictCounts {
  elementarySchools: number;
  middleSchools: number;
  highSchools: number;
  /** Students across the district, spread evenly over every school's grades. */
  students: number;
  /** Target students per section; sections per course follow from it. */
  classSize: number;
  /** Sections a middle or high school teacher teaches. */
  sectionsPerTeacher: number;
  /** Gradebook lineItems per scheduled class (over the grading periods already started). */
  lineItemsPerClass: number;
  /** Fraction of scheduled classes that keep a gradebook (0…1); each of their lineItems has a result per student. */
  gradebookDensity: number;
  aidesPerSchool: number;
  administratorsPerSchool: number;
  districtAdministrators: number;
  resources: number;
}

export const PRESETS: Record<SizeName, DistrictCounts> = {
  tiny: {
    elementarySchools: 1,
    middleSchools: 1,
    highSchools: 1,
    students: 52,
    classSize: 2,
    sectionsPerTeacher: 4,
    lineItemsPerClass: 2,
    gradebookDensity: 1,
    aidesPerSchool: 1,
    administratorsPerSchool: 1,
    districtAdministrators: 1,
    resources: 4,
  },
  demo: {
    elementarySchools: 2,
    middleSchools: 1,
    highSchools: 1,
    students: 2000,
    classSize: 24,
    sectionsPerTeacher: 5,
    lineItemsPerClass: 6,
    gradebookDensity: 1,
    aidesPerSchool: 3,
    administratorsPerSchool: 2,
    districtAdministrators: 3,
    resources: 20,
  },
  district: {
    elementarySchools: 24,
    middleSchools: 8,
    highSchools: 5,
    students: 50_000,
    classSize: 26,
    sectionsPerTeacher: 5,
    lineItemsPerClass: 6,
    gradebookDensity: 0.25,
    aidesPerSchool: 6,
    administratorsPerSchool: 3,
    districtAdministrators: 8,
    resources: 60,
  },
  large: {
    elementarySchools: 90,
    middleSchools: 30,
    highSchools: 18,
    students: 200_000,
    classSize: 27,
    sectionsPerTeacher: 5,
    lineItemsPerClass: 6,
    gradebookDensity: 0.1,
    aidesPerSchool: 8,
    administratorsPerSchool: 3,
    districtAdministrators: 15,
    resources: 120,
  },
};
