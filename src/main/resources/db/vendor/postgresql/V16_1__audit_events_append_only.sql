-- PostgreSQL only (spring.flyway.locations adds db/vendor/{vendor}): the audit log is append-only. Any UPDATE,
-- DELETE or TRUNCATE of audit_events raises, whoever runs it, the application included. Dropping the trigger needs
-- the table's owner; give the application a role that does not own the schema to make that out of its reach too.
CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$;

-- Statement-level, so that even an UPDATE or DELETE that matches no row is refused.
CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();
