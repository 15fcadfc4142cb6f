-- The claim function's statements follow the claimable index's order whatever the
-- table's statistics say. Planned once per connection without the arguments' values,
-- a claim took the smallest index of queued jobs (litequeue_jobs_queued, by id) and
-- sorted every queued job at every claim whenever the statistics said that next to
-- none were queued: a table analysed while its jobs were finished, then given a
-- backlog. Beside a million finished jobs and 3,000 queued ones, a one-job claim read
-- and sorted all 3,000 (5.3 ms); through litequeue_jobs_claimable, which holds a
-- queue's jobs in the order they are handed out, it reads one (0.3 ms).
--
-- With sorts disabled the planner takes an index that gives the order wherever there
-- is one; the sorts nothing else can do (the rows handed back in claim order, the
-- events in order) still run. JIT is off: the cost a disabled sort is given would
-- otherwise make the server compile such a statement at every call (0.3 to 0.5 s).
ALTER FUNCTION litequeue_claim(
    text, text[], text[], bigint, double precision, bigint[], bigint[], text[], text[],
    integer, text
) SET enable_sort = off;
ALTER FUNCTION litequeue_claim(
    text, text[], text[], bigint, double precision, bigint[], bigint[], text[], text[],
    integer, text
) SET jit = off;
