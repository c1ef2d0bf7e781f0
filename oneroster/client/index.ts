// The client kit of OneRoster v1p1: everything a program needs to read (and write) a provider over HTTP.
// Imported by consumer/ and conformance/ through this file only; server/ never needs it.
export * from "./errors.js";
export * from "./http.js";
export * from "./pages.js";
export * from "./records.js";
export * from "./wire.js";
