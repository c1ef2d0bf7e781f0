// Every check of the suite, in report order. Adding a check means adding it here and to the id snapshot.
import type { Check } from "../check.js";
import { authChecks } from "./auth.js";
import { deltaChecks } from "./delta.js";
import { endpointChecks } from "./endpoints.js";
import { errorChecks } from "./errors.js";
import { fieldChecks } from "./fields.js";
import { filteringChecks } from "./filtering.js";
import { gradebookWriteChecks } from "./gradebook-writes.js";
import { pagingChecks } from "./paging.js";
import { singleReadChecks } from "./single-reads.js";
import { sortingChecks } from "./sorting.js";

export const ALL_CHECKS: readonly Check[] = [
  ...authChecks,
  ...endpointChecks,
  ...singleReadChecks,
  ...pagingChecks,
  ...sortingChecks,
  ...filteringChecks,
  ...fieldChecks,
  ...deltaChecks,
  ...gradebookWriteChecks,
  ...errorChecks,
];
