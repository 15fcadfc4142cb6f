-- An enqueue of one job in one round trip: the store calls this function in
-- autocommit, so the job, its tags, its event (under the event lock) and the wake-up
-- commit together as one statement's transaction, and the client waits for the
-- server once, where a transaction of separate statements waits three times.
--
-- It keeps what the statements did: the server's clock stamps the job; a due time the
-- client computed moves onto that clock when the two differ by a second or more
-- (sent_at is the client's clock as it sent the call); the event takes its number
-- under the event lock, held to the commit, so numbers grow in commit order; and a
-- caller that knows an older schema than the database's writes nothing (it gets the
-- database's version back and raises SchemaTooNew). Every later version of this
-- function must keep that refusal.
--
-- With a unique key an active job holds (or one that another enqueue takes at the
-- same instant), nothing is written and new_id comes back NULL: the store then takes
-- its general path, which returns the holder.
--
-- For the common job (no unique key, no tags) the job's insert, its event under the
-- event lock and the wake-up are one statement, the schema version and the clock one
-- read, and no insert is speculative (ON CONFLICT) when no key can conflict; in that
-- one statement the lock is a joined row the event's row is made from, so it is taken
-- before the event's number is drawn. The caller's schema version and the channel are
-- written into its statement's text (prepared once per connection), and a job without
-- tags or a key leaves their arguments to their defaults. Jobs with tags or a key take
-- the step-by-step body.
CREATE FUNCTION litequeue_enqueue(
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
    SELECT v.version, extract(epoch FROM now())::float8 INTO schema_version, server_now
    FROM litequeue_schema_version v;
    IF schema_version > known_version THEN
        RETURN;
    END IF;
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
