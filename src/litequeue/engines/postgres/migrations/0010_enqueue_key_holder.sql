-- The one-round-trip enqueue (0009) leaves a key alone while any active job carries
-- it, superseded or not: a job put back (retried, or superseded with force=True) while
-- another held its key holds it again once that one has finished, as the general path
-- and the SQLite engine have it. Only the lookup changes.
CREATE OR REPLACE FUNCTION litequeue_enqueue(
    known_version integer,
    sent_at double precision,
    p_kind text,
    p_queue text,
    p_payload text,
    p_priority bigint,
    p_run_at double precision,
    p_max_attempts bigint,
    p_timeout double precision,
    p_tags text,
    p_tag_list text[],
    p_unique_key text,
    p_limit_key text,
    p_event_data text,
    p_channel text,
    OUT schema_version integer,
    OUT server_now double precision,
    OUT due_at double precision,
    OUT new_id bigint,
    OUT event_seq bigint
) LANGUAGE plpgsql AS $$
DECLARE
    skew double precision;
BEGIN
    SELECT v.version INTO schema_version FROM litequeue_schema_version v;
    server_now := extract(epoch FROM now())::float8;
    IF schema_version > known_version THEN
        RETURN;
    END IF;
    -- Looked up first: an insert that meets the key would use up an id for nothing.
    -- Any active job holds its key, superseded or not (the general path returns the
    -- newest of them).
    IF p_unique_key IS NOT NULL AND EXISTS (
        SELECT FROM litequeue_jobs h WHERE h.unique_key = p_unique_key
            AND h.status IN ('queued', 'running')
    ) THEN
        RETURN;
    END IF;
    skew := server_now - sent_at;
    IF abs(skew) < 1.0 THEN
        skew := 0.0;
    END IF;
    due_at := coalesce(p_run_at + skew, server_now);
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
