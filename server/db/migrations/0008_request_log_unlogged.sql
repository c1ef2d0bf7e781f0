-- The request log becomes an UNLOGGED table: its rows are not written to the write-ahead log. Every served request adds
-- one row, and the WAL of those rows (with their three index entries) was about 15 us of Postgres CPU per uncached
-- read (npm run bench -- --only reads). The log is a diagnostic of recent traffic, bounded by age and count: after a
-- Postgres crash (not a clean restart) it is emptied, and it is not copied to standby servers. README, "Request log".
ALTER TABLE "provider"."request_log" SET UNLOGGED;
