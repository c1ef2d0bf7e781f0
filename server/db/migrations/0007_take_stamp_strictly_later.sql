-- take_stamp(proposed), revised: every stamp is strictly later than the one handed out before it, by at least one
-- millisecond (the wire's precision). Two writes in the same millisecond, or writes under a frozen district clock, or
-- writes after a district seeded as of a later instant, each get their own stamp, so a delta read
-- `dateLastModified>S` from the stamp S a reader last saw always lists every later commit (notes §8, docs/oneroster-v1p1-notes.md).
-- Call it once per transaction: each call takes a new stamp.
CREATE OR REPLACE FUNCTION "provider"."take_stamp"(proposed timestamptz) RETURNS timestamptz
LANGUAGE sql VOLATILE AS $$
  INSERT INTO "provider"."write_clock" AS w (id, last_stamp) VALUES (true, date_trunc('milliseconds', proposed))
  ON CONFLICT (id) DO UPDATE SET last_stamp = greatest(w.last_stamp + interval '1 millisecond', excluded.last_stamp)
  RETURNING last_stamp;
$$;
