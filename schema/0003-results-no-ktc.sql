-- 0003-results-no-ktc.sql - results lose their (kernel_id, target_id,
-- case_id) index. Every results row is written once, by one job's ingest,
-- and that index was a third B-tree to update per row (about a quarter of
-- the insert cost: bench/README.md, "Ingest"). Nothing that must be fast
-- needs it: matrix and diff read `latest`, a job's results are a
-- results_job range, and GET /results?kernel= goes through the kernel's
-- jobs (jobs_kernel) and then results_job (~4 ms for a nightly's 5,500
-- results in the 10M-result benchmark history).
DROP INDEX IF EXISTS results_ktc;
