-- A limited claim that does not read the backlog of a key at its limit. The claim of
-- a queue with per-key settings walked its due jobs in claim order and refused, one by
-- one, every job of a key that could not start: with one key at its limit holding N
-- queued jobs in front, every claim read those N before it reached another key's job
-- or found nothing (a two-job claim read 801 jobs with 400 queued behind a held key).
--
-- Now a statement looks at the first 2n + 16 due jobs in claim order (n the jobs it
-- may still take), which is all a claim reads when keys have room; when those give
-- fewer than n, a second statement walks the queue's keys instead: from one key's
-- first queued job to the next key's along litequeue_jobs_key_queued (a skip scan;
-- a key whose first job is not due looks one step further for its first due one),
-- beside the queue's first due jobs without a key; in claim order, each taken while
-- its key has room, looked at as far as needed. What a claim reads then grows with
-- the queue's keys and what it hands out.
--
-- The jobs without a key are found along litequeue_jobs_claimable, which now holds
-- them only (in one index of every queued job, only reading them told whether one
-- without a key was among them); those with one have a claim-order index of their
-- own, litequeue_jobs_keyed_claimable. Each queued job is in one of the two, as it was
-- in the one: an enqueue writes as many index entries as before. The plain claim and
-- the limited claim's window read the two merged in claim order.
-- The rules are the same: the claim order within a key and across keys, the key's
-- room (running jobs, starts in the per-key window), the queue's limit and rate, at
-- most one job per key per statement, each statement counting the ones before it.
--
-- 0013's function otherwise (with the settings 0011 gave it: a replaced function
-- keeps only the settings of its new definition).
DROP INDEX litequeue_jobs_claimable;
CREATE INDEX litequeue_jobs_claimable ON litequeue_jobs (queue, priority DESC, run_at, id)
    WHERE status = 'queued' AND limit_key IS NULL;
CREATE INDEX litequeue_jobs_keyed_claimable ON litequeue_jobs (queue, priority DESC, run_at, id)
    WHERE status = 'queued' AND limit_key IS NOT NULL;

CREATE OR REPLACE FUNCTION litequeue_claim(
    p_worker text,
    p_queues text[],
    p_kinds text[],
    p_wanted bigint,
    p_lease double precision,
    p_ids bigint[],
    p_runs bigint[],
    p_results text[],
    p_versions text[],
    p_schema integer,
    p_channel text
) RETURNS TABLE (
    out_now double precision,
    out_schema integer,
    out_runs bigint[],
    out_attempts bigint[],
    out_seqs bigint[],
    id bigint, kind text, queue text, status text, payload text, result text, error text,
    priority bigint, run_at double precision, attempt bigint, max_attempts bigint,
    timeout double precision, progress double precision, progress_message text,
    parent_id bigint, unique_key text, tags text, handler_version text,
    created_at double precision, updated_at double precision, started_at double precision,
    finished_at double precision, lease_until double precision, run_id bigint,
    depends_on text, blockers bigint, limit_key text
)
LANGUAGE plpgsql
-- As 0008 and 0011 set it: generic plans, sorts only where no index gives the order,
-- no JIT.
SET plan_cache_mode = force_generic_plan
SET enable_sort = off
SET jit = off
AS $$
#variable_conflict use_column
DECLARE
    v_now double precision := extract(epoch FROM now())::float8;
    v_schema integer;
    v_first_lease double precision;
    v_runs bigint[];
    v_attempts bigint[];
    v_done bigint[];
    v_depended bigint[];
    v_special boolean;
    v_ev_jobs bigint[] := '{}';
    v_ev_types text[] := '{}';
    v_ev_data text[] := '{}';
    v_rows litequeue_jobs[] := '{}';
    v_got litequeue_jobs[];
    v_got_ids bigint[];
    v_got_data text[];
    v_got_keys text[];
    v_queue text;
    v_limits record;
    v_found boolean;
    v_n bigint;
    v_keyed boolean;
    v_used bigint;
    v_was_used bigint;
    v_round integer;
    v_by_key boolean;
    v_allowed bigint;
    v_picked bigint[];
    v_gone bigint;
    v_seqs bigint[];
    v_worker text := to_json(p_worker)::text;
BEGIN
    SELECT v.version, CASE WHEN p_wanted > 0 THEN (SELECT min(r.lease_until)
        FROM litequeue_jobs AS r WHERE r.status = 'running') END
    INTO v_schema, v_first_lease FROM litequeue_schema_version AS v;
    <<work>>
    BEGIN
    EXIT work WHEN v_schema > p_schema;
    IF v_first_lease < v_now THEN
        RAISE EXCEPTION 'a lease ran out: the general claim takes it back'
            USING ERRCODE = 'LQ001';
    END IF;

    -- Successes, fenced by run id and lease (_sql.SUCCEED). p_ids come in ascending
    -- order: each success finds its run id and result by a binary search
    -- (width_bucket), and one not found at its own position is not recorded.
    IF cardinality(p_ids) > 0 THEN
        WITH done AS (
            UPDATE litequeue_jobs AS j SET status = 'succeeded',
                result = p_results[width_bucket(j.id, p_ids)],
                handler_version = p_versions[width_bucket(j.id, p_ids)], error = NULL,
                lease_until = NULL, worker = NULL, progress = 100, finished_at = v_now,
                updated_at = v_now
            WHERE j.id = ANY(p_ids) AND p_ids[width_bucket(j.id, p_ids)] = j.id
                AND j.run_id = p_runs[width_bucket(j.id, p_ids)]
                AND j.status = 'running' AND j.lease_until >= v_now
            RETURNING j.id, j.run_id, j.attempt, j.children, j.parent_id, j.has_dependants,
                width_bucket(j.id, p_ids) AS n
        )
        -- One sort, in the order given, read by the aggregates alike.
        SELECT array_agg(d.run_id), array_agg(d.attempt),
            array_agg(d.id), array_agg(d.id) FILTER (WHERE d.has_dependants),
            bool_or(d.children > 0 OR d.parent_id IS NOT NULL),
            array_agg('{"attempt":' || d.attempt || '}')
        INTO v_runs, v_attempts, v_done, v_depended, v_special, v_ev_data
        FROM (SELECT * FROM done ORDER BY done.n) AS d;
        IF v_special THEN
            RAISE EXCEPTION 'a job with a parent or children succeeded: the general'
                ' claim records it' USING ERRCODE = 'LQ001';
        END IF;
        IF v_depended IS NOT NULL THEN
            -- Their queued dependants wait for one fewer each (_sql.RELEASE_DEPENDANTS).
            UPDATE litequeue_jobs AS j SET blockers = greatest(0, j.blockers - d.n),
                updated_at = v_now
            FROM (SELECT job_id, count(*) AS n FROM litequeue_job_dependencies
                WHERE depends_on = ANY(v_depended) GROUP BY job_id) AS d
            WHERE j.id = d.job_id AND j.status = 'queued' AND j.blockers > 0;
        END IF;
        IF v_done IS NOT NULL THEN
            v_ev_jobs := v_done;
            v_ev_types := array_fill('succeeded'::text, ARRAY[cardinality(v_done)]);
        ELSE
            v_ev_data := '{}';
        END IF;
    END IF;

    -- The claim, queue by queue (_sql.CLAIM, or _sql.CLAIM_LIMITED for a queue with a
    -- rate or per-key limits, as PostgresStore.claim runs them).
    FOREACH v_queue IN ARRAY CASE WHEN p_wanted > 0 THEN p_queues ELSE '{}' END LOOP
        v_n := p_wanted - cardinality(v_rows);
        EXIT WHEN v_n <= 0;
        SELECT q.paused, q.concurrency_limit, q.rate_count, q.rate_period,
            q.key_rate_count, q.key_rate_period, q.per_key_limit
        INTO v_limits FROM litequeue_queues AS q WHERE q.name = v_queue;
        v_found := FOUND;
        IF NOT v_found OR (v_limits.rate_count IS NULL AND v_limits.key_rate_count IS NULL
                AND v_limits.per_key_limit IS NULL) THEN
            IF v_found AND v_limits.concurrency_limit IS NOT NULL THEN
                -- One such claim of this queue at a time (_sql.LOCK_LIMITED_QUEUE), and
                -- the running jobs counted once it has the lock, in a statement of
                -- their own (a statement's snapshot is older than the lock it waits for).
                SELECT q.paused, q.concurrency_limit INTO v_limits.paused,
                    v_limits.concurrency_limit
                FROM litequeue_queues AS q WHERE q.name = v_queue FOR UPDATE;
                IF NOT v_limits.paused THEN
                    v_n := least(v_n, v_limits.concurrency_limit - (SELECT count(*)
                        FROM litequeue_jobs AS r WHERE r.status = 'running'
                        AND r.queue = v_queue AND r.lease_until IS NOT NULL));
                END IF;
            END IF;
            CONTINUE WHEN v_found AND v_limits.paused OR v_n <= 0;
            -- The unkeyed and the keyed due jobs, each along its claim-order index,
            -- merged (_sql.CLAIM).
            WITH picked AS (
                SELECT c.id FROM (
                    SELECT * FROM (SELECT u.id, u.priority, u.run_at FROM litequeue_jobs AS u
                        WHERE u.status = 'queued' AND u.limit_key IS NULL
                            AND u.queue = v_queue AND u.run_at <= v_now AND u.blockers = 0
                            AND (p_kinds IS NULL OR u.kind = ANY(p_kinds))
                        ORDER BY u.priority DESC, u.run_at, u.id LIMIT v_n
                        FOR UPDATE SKIP LOCKED) AS u
                    UNION ALL
                    SELECT * FROM (SELECT k.id, k.priority, k.run_at FROM litequeue_jobs AS k
                        WHERE k.status = 'queued' AND k.limit_key IS NOT NULL
                            AND k.queue = v_queue AND k.run_at <= v_now AND k.blockers = 0
                            AND (p_kinds IS NULL OR k.kind = ANY(p_kinds))
                        ORDER BY k.priority DESC, k.run_at, k.id LIMIT v_n
                        FOR UPDATE SKIP LOCKED) AS k
                ) AS c
                ORDER BY c.priority DESC, c.run_at, c.id LIMIT v_n
            ),
            claimed AS (
                UPDATE litequeue_jobs AS j SET status = 'running', attempt = j.attempt + 1,
                    run_id = nextval('litequeue_run_ids'), worker = p_worker,
                    lease_until = v_now + p_lease, started_at = v_now, updated_at = v_now,
                    progress = 0, progress_message = NULL, error = NULL
                WHERE j.id = ANY(ARRAY(SELECT c.id FROM picked AS c))
                RETURNING j AS r
            )
            -- One sort, in claim order, read by the three aggregates alike.
            SELECT array_agg(s.r), array_agg((s.r).id),
                array_agg('{"attempt":' || (s.r).attempt || ',"worker":' || v_worker || '}')
            INTO v_got, v_got_ids, v_got_data
            FROM (SELECT c.r FROM claimed AS c
                ORDER BY (c.r).priority DESC, (c.r).run_at, (c.r).id) AS s;
            IF v_got IS NOT NULL THEN
                v_rows := v_rows || v_got;
                v_ev_jobs := v_ev_jobs || v_got_ids;
                v_ev_types := v_ev_types
                    || array_fill('started'::text, ARRAY[cardinality(v_got_ids)]);
                v_ev_data := v_ev_data || v_got_data;
            END IF;
            CONTINUE;
        END IF;
        -- One limited claim of this queue at a time (_sql.LOCK_QUEUE); the count of
        -- starts its rate window holds is kept here and written once, at the end.
        SELECT rate_used INTO v_used FROM litequeue_queues WHERE name = v_queue FOR UPDATE;
        v_was_used := v_used;
        v_keyed := v_limits.key_rate_count IS NOT NULL OR v_limits.per_key_limit IS NOT NULL;
        IF v_limits.rate_count IS NOT NULL THEN
            DELETE FROM litequeue_starts WHERE queue = v_queue
                AND at <= v_now - v_limits.rate_period;
            GET DIAGNOSTICS v_gone = ROW_COUNT;
            v_used := v_used - v_gone;
        END IF;
        IF v_limits.key_rate_count IS NOT NULL THEN
            DELETE FROM litequeue_key_starts WHERE queue = v_queue
                AND at <= v_now - v_limits.key_rate_period;
        END IF;
        -- Statements that each take at most one job per key, again while they take
        -- some: the first due jobs in claim order looked at, then, when they gave
        -- fewer than wanted, the keys walked (_sql.CLAIM_LIMITED, _sql.CLAIM_BY_KEY).
        LOOP
            v_round := cardinality(v_rows);
            v_by_key := false;
            LOOP
            -- How many this statement may start: as many as still wanted, within the
            -- queue's limit of running jobs and its rate; none when paused.
            SELECT CASE WHEN q.paused THEN 0 ELSE greatest(0, least(
                p_wanted - cardinality(v_rows),
                CASE WHEN q.concurrency_limit IS NULL THEN p_wanted
                ELSE q.concurrency_limit - (SELECT count(*) FROM litequeue_jobs
                    WHERE status = 'running' AND queue = v_queue
                    AND lease_until IS NOT NULL) END,
                CASE WHEN q.rate_count IS NULL THEN p_wanted
                ELSE q.rate_count - v_used END)) END
            INTO v_allowed FROM litequeue_queues AS q WHERE q.name = v_queue;
            IF NOT v_by_key THEN
                v_picked := ARRAY(
                WITH seen AS (
                    SELECT * FROM (
                        SELECT * FROM (SELECT c.id, c.limit_key, c.priority, c.run_at
                            FROM litequeue_jobs AS c
                            WHERE c.status = 'queued' AND c.limit_key IS NULL
                                AND c.queue = v_queue AND c.run_at <= v_now AND c.blockers = 0
                                AND (p_kinds IS NULL OR c.kind = ANY(p_kinds))
                            ORDER BY c.priority DESC, c.run_at, c.id
                            LIMIT 2 * (p_wanted - cardinality(v_rows)) + 16) AS u
                        UNION ALL
                        SELECT * FROM (SELECT c.id, c.limit_key, c.priority, c.run_at
                            FROM litequeue_jobs AS c
                            WHERE c.status = 'queued' AND c.limit_key IS NOT NULL
                                AND c.queue = v_queue AND c.run_at <= v_now AND c.blockers = 0
                                AND (p_kinds IS NULL OR c.kind = ANY(p_kinds))
                            ORDER BY c.priority DESC, c.run_at, c.id
                            LIMIT 2 * (p_wanted - cardinality(v_rows)) + 16) AS k
                    ) AS w
                    ORDER BY w.priority DESC, w.run_at, w.id
                    LIMIT 2 * (p_wanted - cardinality(v_rows)) + 16
                ),
                picked AS (
                    SELECT c.id FROM seen AS c WHERE c.limit_key IS NULL OR NOT v_keyed OR (
                    c.id = (SELECT e.id FROM litequeue_jobs AS e
                        WHERE e.status = 'queued' AND e.queue = v_queue
                        AND e.limit_key = c.limit_key AND e.run_at <= v_now AND e.blockers = 0
                        ORDER BY e.limit_key, e.priority DESC, e.run_at, e.id LIMIT 1)
                    AND (v_limits.per_key_limit IS NULL OR (SELECT count(*)
                        FROM litequeue_jobs AS r WHERE r.status = 'running'
                        AND r.queue = v_queue AND r.limit_key = c.limit_key
                        AND r.lease_until IS NOT NULL) < v_limits.per_key_limit)
                    AND (v_limits.key_rate_count IS NULL OR (SELECT count(*)
                        FROM litequeue_key_starts AS s WHERE s.queue = v_queue
                        AND s.limit_key = c.limit_key
                        AND s.at > v_now - v_limits.key_rate_period)
                        < v_limits.key_rate_count))
                    -- In the window's order: a sort would look at all of it.
                    LIMIT v_allowed
                )
                SELECT id FROM picked);
            ELSE
                v_picked := ARRAY(
                WITH RECURSIVE firsts AS (
                    (SELECT e.limit_key AS k, e.id, e.priority, e.run_at, e.blockers, e.kind
                    FROM litequeue_jobs AS e WHERE e.status = 'queued' AND e.queue = v_queue
                        AND e.limit_key IS NOT NULL
                    ORDER BY e.limit_key, e.priority DESC, e.run_at, e.id LIMIT 1)
                    UNION ALL
                    SELECT n.* FROM firsts AS f CROSS JOIN LATERAL (
                        SELECT e.limit_key, e.id, e.priority, e.run_at, e.blockers, e.kind
                        FROM litequeue_jobs AS e WHERE e.status = 'queued'
                            AND e.queue = v_queue AND e.limit_key > f.k
                        ORDER BY e.limit_key, e.priority DESC, e.run_at, e.id LIMIT 1) AS n
                ),
                heads AS (
                    SELECT f.id, f.k, f.priority, f.run_at, f.kind FROM firsts AS f
                    WHERE f.run_at <= v_now AND f.blockers = 0
                    UNION ALL
                    SELECT h.id, h.limit_key, h.priority, h.run_at, h.kind
                    FROM firsts AS f CROSS JOIN LATERAL (
                        SELECT e.id, e.limit_key, e.priority, e.run_at, e.kind
                        FROM litequeue_jobs AS e WHERE e.status = 'queued'
                            AND e.queue = v_queue AND e.limit_key = f.k
                            AND e.run_at <= v_now AND e.blockers = 0
                        ORDER BY e.limit_key, e.priority DESC, e.run_at, e.id LIMIT 1) AS h
                    WHERE NOT (f.run_at <= v_now AND f.blockers = 0)
                ),
                unkeyed AS (
                    SELECT u.id, u.limit_key AS k, u.priority, u.run_at
                    FROM litequeue_jobs AS u
                    WHERE u.status = 'queued' AND u.queue = v_queue AND u.limit_key IS NULL
                        AND u.run_at <= v_now AND u.blockers = 0
                        AND (p_kinds IS NULL OR u.kind = ANY(p_kinds))
                    ORDER BY u.priority DESC, u.run_at, u.id
                    LIMIT p_wanted - cardinality(v_rows)
                ),
                -- The keys' room looked at in claim order, as far as needed (OFFSET 0
                -- keeps the look out of the sort's input).
                picked AS (
                    SELECT c.id FROM (
                        SELECT h.id, h.k, h.priority, h.run_at FROM heads AS h
                        WHERE p_kinds IS NULL OR h.kind = ANY(p_kinds)
                        UNION ALL SELECT * FROM unkeyed
                        ORDER BY priority DESC, run_at, id OFFSET 0) AS c
                    WHERE c.k IS NULL OR (
                    (v_limits.per_key_limit IS NULL OR (SELECT count(*)
                        FROM litequeue_jobs AS r WHERE r.status = 'running'
                        AND r.queue = v_queue AND r.limit_key = c.k
                        AND r.lease_until IS NOT NULL) < v_limits.per_key_limit)
                    AND (v_limits.key_rate_count IS NULL OR (SELECT count(*)
                        FROM litequeue_key_starts AS s WHERE s.queue = v_queue
                        AND s.limit_key = c.k
                        AND s.at > v_now - v_limits.key_rate_period)
                        < v_limits.key_rate_count))
                    LIMIT v_allowed
                )
                SELECT id FROM picked);
            END IF;
            -- The picked jobs locked and started by their ids, as an array: a join to
            -- them was planned, from statistics taken while few jobs were queued, as a
            -- walk of every queued job that picked them again for each.
            WITH locked AS (
                SELECT j.id FROM litequeue_jobs AS j
                WHERE j.id = ANY(v_picked)
                    AND coalesce(j.status, '') = 'queued' FOR UPDATE SKIP LOCKED
            ),
            claimed AS (
                UPDATE litequeue_jobs AS j SET status = 'running', attempt = j.attempt + 1,
                    run_id = nextval('litequeue_run_ids'), worker = p_worker,
                    lease_until = v_now + p_lease, started_at = v_now, updated_at = v_now,
                    progress = 0, progress_message = NULL, error = NULL
                WHERE j.id = ANY(ARRAY(SELECT id FROM locked))
                RETURNING j AS r
            )
            SELECT array_agg(r ORDER BY (r).priority DESC, (r).run_at, (r).id),
                array_agg((r).id ORDER BY (r).priority DESC, (r).run_at, (r).id),
                array_agg('{"attempt":' || (r).attempt || ',"worker":' || v_worker || '}'
                    ORDER BY (r).priority DESC, (r).run_at, (r).id),
                array_agg((r).limit_key ORDER BY (r).priority DESC, (r).run_at, (r).id)
            INTO v_got, v_got_ids, v_got_data, v_got_keys FROM claimed;
            IF v_got IS NOT NULL THEN
                -- Recorded before the next statement counts them (_sql.RECORD_STARTS
                -- and _sql.RECORD_KEY_STARTS).
                IF v_limits.rate_count IS NOT NULL THEN
                    INSERT INTO litequeue_starts (queue, at)
                        SELECT v_queue, v_now FROM generate_series(1, cardinality(v_got_ids));
                    v_used := v_used + cardinality(v_got_ids);
                END IF;
                IF v_limits.key_rate_count IS NOT NULL THEN
                    INSERT INTO litequeue_key_starts (queue, limit_key, at)
                        SELECT v_queue, k, v_now FROM unnest(v_got_keys) AS k
                        WHERE k IS NOT NULL;
                END IF;
                v_rows := v_rows || v_got;
                v_ev_jobs := v_ev_jobs || v_got_ids;
                v_ev_types := v_ev_types
                    || array_fill('started'::text, ARRAY[cardinality(v_got_ids)]);
                v_ev_data := v_ev_data || v_got_data;
            END IF;
            EXIT WHEN v_by_key OR NOT v_keyed OR cardinality(v_rows) >= p_wanted;
            v_by_key := true;
            END LOOP;
            EXIT WHEN cardinality(v_rows) = v_round OR NOT v_keyed
                OR cardinality(v_rows) >= p_wanted;
        END LOOP;
        IF v_used <> v_was_used THEN
            UPDATE litequeue_queues SET rate_used = v_used WHERE name = v_queue;
        END IF;
    END LOOP;

    -- The wake-up, then the events last, under the event lock held to the commit
    -- (_sql.EVENT_LOCK), so their numbers grow in commit order.
    IF v_done IS NOT NULL THEN
        PERFORM pg_notify(p_channel, '');
    END IF;
    IF cardinality(v_ev_jobs) > 0 THEN
        PERFORM pg_advisory_xact_lock(hashtext('litequeue:events'));
        WITH written AS (
            INSERT INTO litequeue_events (job_id, type, at, data)
            SELECT e.job_id, e.type, v_now, e.data
            FROM unnest(v_ev_jobs, v_ev_types, v_ev_data) WITH ORDINALITY
                AS e(job_id, type, data, n)
            ORDER BY e.n RETURNING seq
        )
        SELECT array_agg(seq ORDER BY seq) INTO v_seqs FROM written;
    END IF;
    END work;
    -- In claim order without a sort: a join on true from one row has one plan, a
    -- nested loop whose inner side, the unnest, gives the array's order.
    RETURN QUERY
    SELECT v_now, v_schema,
        CASE WHEN j.ordinality IS NULL OR j.ordinality = 1 THEN coalesce(v_runs, '{}') END,
        CASE WHEN j.ordinality IS NULL OR j.ordinality = 1
            THEN coalesce(v_attempts, '{}') END,
        CASE WHEN j.ordinality IS NULL OR j.ordinality = 1 THEN coalesce(v_seqs, '{}') END,
        j.id, j.kind, j.queue, j.status, j.payload, j.result, j.error, j.priority, j.run_at,
        j.attempt, j.max_attempts, j.timeout, j.progress, j.progress_message, j.parent_id,
        j.unique_key, j.tags, j.handler_version, j.created_at, j.updated_at, j.started_at,
        j.finished_at, j.lease_until, j.run_id, j.depends_on, j.blockers, j.limit_key
    FROM (SELECT 1) AS one
    LEFT JOIN unnest(v_rows) WITH ORDINALITY AS j ON true;
END
$$;
