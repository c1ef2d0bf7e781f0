#!/usr/bin/env node
// Launcher for the TypeScript CLI: registers tsx's loader, then runs bin/rosterlab.ts.
import { register } from "tsx/esm/api";

register();
await import("./rosterlab.ts");
