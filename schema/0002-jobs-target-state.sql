-- 0002-jobs-target-state.sql - the scheduler's "how many jobs run on this
-- target" count (scheduled + running) becomes an index seek on
-- (target_id, state) instead of a scan of every job the target ever had.
DROP INDEX IF EXISTS jobs_target;
CREATE INDEX jobs_target_state ON jobs (target_id, state);
