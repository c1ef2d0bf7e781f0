// The conformance suite against our provider with each quirk preset on, part 1 of 2: exactly the preset's checks
// fail (the table and the runner are in test/support/conformance-quirks.ts).
import { describeQuirkPresets } from "../support/conformance-quirks.js";

describeQuirkPresets(0, 2);
