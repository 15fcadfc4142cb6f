-- The schema version as a constant in the enqueue function's plan, where 0009's
-- function read litequeue_schema_version at every call (a statement of its own:
-- about a tenth of the function's server time).
--
-- litequeue_current_version() returns the version's number as a constant, and is
-- written again by a trigger whenever the version's row changes, however it is
-- changed (a migration, or by hand). Being IMMUTABLE, the function is folded into
-- the plans that call it; replacing it invalidates those plans, so the next call on
-- any connection is planned again with the new number: a process that knows an older
-- schema still writes nothing (SchemaTooNew), as with the read it replaces.
CREATE FUNCTION litequeue_version_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format(
        'CREATE OR REPLACE FUNCTION %I.litequeue_current_version() RETURNS integer'
        ' LANGUAGE sql IMMUTABLE PARALLEL SAFE AS %L',
        TG_TABLE_SCHEMA, format('SELECT %s', NEW.version)
    );
    RETURN NEW;
END
$$;
CREATE TRIGGER litequeue_version_changed AFTER INSERT OR UPDATE ON litequeue_schema_version
    FOR EACH ROW EXECUTE FUNCTION litequeue_version_changed();
UPDATE litequeue_schema_version SET version = version;

-- 0009's function, but for the version (and the clock) read.
CREATE OR REPLACE FUNCTION litequeue_enqueue(
    known_version integer,
    p_channel text,
    sent_at double precision,
    p_kind text,
    p_queue text,
    p_payload text,
    p_priority bigint,
    p_run_at double precision,
    p_max_attempts bigint,
    p_timeout double precision,
    p_limit_key text,
    p_event_data text,
    p_tags text DEFAULT '[]',
    p_tag_list text[] DEFAULT NULL,
    p_unique_key text DEFAULT NULL,
    OUT schema_version integer,
    OUT server_now double precision,
    OUT due_at double precision,
    OUT new_id bigint,
    OUT event_seq bigint
) LANGUAGE plpgsql AS $$
BEGIN
    schema_version := litequeue_current_version();
    IF schema_version > known_version THEN
        RETURN;
    END IF;
    server_now := extract(epoch FROM now())::float8;
    IF p_run_at IS NULL THEN
        due_at := server_now;
    ELSIF abs(server_now - sent_at) < 1.0 THEN
        due_at := p_run_at;
    ELSE
        due_at := p_run_at + (server_now - sent_at);
    END IF;
    IF p_unique_key IS NULL AND p_tag_list IS NULL THEN
        WITH j AS (
            INSERT INTO litequeue_jobs AS j (kind, queue, status, payload, priority, run_at,
                max_attempts, tags, created_at, updated_at, timeout, limit_key)
            VALUES (p_kind, p_queue, 'queued', p_payload, p_priority, due_at,
                p_max_attempts, p_tags, server_now, server_now, p_timeout, p_limit_key)
            RETURNING j.id
        )
        INSERT INTO litequeue_events AS e (job_id, type, at, data)
        SELECT j.id, 'enqueued', server_now, p_event_data
        FROM j, LATERAL (SELECT pg_advisory_xact_lock(hashtext('litequeue:events'))) AS l
        RETURNING e.job_id, e.seq, pg_notify(p_channel, p_queue) INTO new_id, event_seq;
        RETURN;
    END IF;
    -- Looked up first: an insert that meets the key would use up an id for nothing.
    -- Any active job holds its key, superseded or not: a job put back (retried, or
    -- superseded with force=True) while another held it holds it again once that one
    -- has finished (the general path returns the newest of them).
    IF p_unique_key IS NOT NULL AND EXISTS (
        SELECT FROM litequeue_jobs h WHERE h.unique_key = p_unique_key
            AND h.status IN ('queued', 'running')
    ) THEN
        RETURN;
    END IF;
    INSERT INTO litequeue_jobs AS j (kind, queue, status, payload, priority, run_at,
        max_attempts, tags, created_at, updated_at, timeout, unique_key, limit_key)
    VALUES (p_kind, p_queue, 'queued', p_payload, p_priority, due_at, p_max_attempts,
        p_tags, server_now, server_now, p_timeout, p_unique_key, p_limit_key)
    ON CONFLICT (unique_key) WHERE unique_key IS NOT NULL
        AND status IN ('queued', 'running') AND NOT key_superseded DO NOTHING
    RETURNING j.id INTO new_id;
    IF new_id IS NULL THEN
        RETURN;
    END IF;
    IF cardinality(p_tag_list) > 0 THEN
        INSERT INTO litequeue_job_tags (tag, job_id)
        SELECT t, new_id FROM unnest(p_tag_list) AS t ON CONFLICT DO NOTHING;
    END IF;
    PERFORM pg_advisory_xact_lock(hashtext('litequeue:events'));
    INSERT INTO litequeue_events AS e (job_id, type, at, data)
    VALUES (new_id, 'enqueued', server_now, p_event_data)
    RETURNING e.seq INTO event_seq;
    PERFORM pg_notify(p_channel, p_queue);
END
$$;
