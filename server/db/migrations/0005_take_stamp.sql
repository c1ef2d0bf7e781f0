-- take_stamp(proposed): the dateLastModified of a write, taken as the write's last step before commit. It locks the
-- one write_clock row until the caller commits, so stamps are handed out in commit order; it never goes below the
-- newest stamp handed out before (a wall clock stepping back, or a district seeded as of a later instant). A reader
-- that has seen stamp S therefore never sees a later commit with a stamp below S.
CREATE FUNCTION "provider"."take_stamp"(proposed timestamptz) RETURNS timestamptz
LANGUAGE sql VOLATILE AS $$
  INSERT INTO "provider"."write_clock" AS w (id, last_stamp) VALUES (true, date_trunc('milliseconds', proposed))
  ON CONFLICT (id) DO UPDATE SET last_stamp = greatest(w.last_stamp, excluded.last_stamp)
  RETURNING last_stamp;
$$;
