// drizzle-kit configuration for the consumer's LMS store: generates SQL migrations from consumer/store/schema.ts
// into consumer/store/migrations (the provider's schema has its own config, drizzle.config.ts).
import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "postgresql",
  schema: "./consumer/store/schema.ts",
  out: "./consumer/store/migrations",
  casing: "snake_case",
  schemaFilter: ["lms"],
  dbCredentials: { url: process.env.ROSTERLAB_LMS_URL ?? "postgres://127.0.0.1:5432/test" },
});
