-- Every write to a OneRoster data table, from any process (server, seed CLI, district clock), sends one
-- NOTIFY per statement on channel rosterlab_data, so each provider replica can drop its cached pages.
CREATE FUNCTION "provider"."notify_data_change"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('rosterlab_data', TG_TABLE_NAME);
  RETURN NULL;
END;
$$;
--> statement-breakpoint
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['orgs','academic_sessions','resources','courses','classes','users','demographics','enrollments','categories','line_items','results'] LOOP
    EXECUTE format('CREATE TRIGGER notify_data_change AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "provider".%I FOR EACH STATEMENT EXECUTE FUNCTION "provider"."notify_data_change"()', t);
  END LOOP;
END;
$$;
