-- The priority index without the jobs of priority 0, most jobs: in (priority, id)
-- order they are the ids' order, which the listing reads along the ids (or a status's
-- index) instead. An enqueue of such a job writes one B-tree less: one page of the
-- seven a commit wrote (benchmarks/README.md, run 13: enqueue).

DROP INDEX jobs_by_priority;
CREATE INDEX jobs_by_priority ON jobs (priority, id) WHERE priority <> 0;
