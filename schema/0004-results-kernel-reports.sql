-- 0004-results-kernel-reports.sql - results take the agent's kernel-report
-- verdicts and keys (docs/records.md "Kernel reports", issue 14): verdict 4
-- = crash, 5 = warn (enum lab_verdict, server/store.h), and the optional
-- kernel_kind, kernel_excerpt, contract_verdict, taint_before, taint_after.
-- SQLite cannot change a CHECK in place: the table is rebuilt. Foreign keys
-- stay on (migrate() runs in one transaction with them on): with deferred
-- enforcement, dropping the old table counts latest's references as
-- violations and re-inserting the same ids resolves every one before COMMIT.
PRAGMA defer_foreign_keys = ON;
CREATE TEMP TABLE results_0004 AS SELECT * FROM results;
DROP TABLE results;
CREATE TABLE results (
	id          INTEGER PRIMARY KEY,
	job_id      INTEGER NOT NULL REFERENCES jobs(id),
	kernel_id   INTEGER NOT NULL REFERENCES kernels(id),
	target_id   INTEGER NOT NULL REFERENCES targets(id),
	case_id     TEXT NOT NULL,
	driver      TEXT NOT NULL,
	iommu       TEXT,
	steps       TEXT NOT NULL,              -- JSON array
	observed    INTEGER NOT NULL CHECK (observed BETWEEN 0 AND 4095),
	expected    INTEGER CHECK (expected BETWEEN 0 AND 4095), -- NULL: no contract entry
	contract    TEXT,
	verdict     INTEGER NOT NULL CHECK (verdict BETWEEN 0 AND 5),
	reason      TEXT,
	reused      INTEGER CHECK (reused IN (0, 1)),
	verified    TEXT,
	duration_us INTEGER NOT NULL DEFAULT 0,
	repeat      INTEGER NOT NULL DEFAULT 0,
	created_at  INTEGER NOT NULL DEFAULT (strftime('%s', 'now')),
	kernel_kind      TEXT,                  -- NULL: no kernel report decided the verdict
	kernel_excerpt   TEXT,
	contract_verdict INTEGER CHECK (contract_verdict BETWEEN 0 AND 3),
	taint_before     INTEGER,
	taint_after      INTEGER
);
INSERT INTO results (id, job_id, kernel_id, target_id, case_id, driver, iommu, steps, observed,
		     expected, contract, verdict, reason, reused, verified, duration_us, repeat,
		     created_at)
	SELECT id, job_id, kernel_id, target_id, case_id, driver, iommu, steps, observed,
	       expected, contract, verdict, reason, reused, verified, duration_us, repeat, created_at
	FROM temp.results_0004;
DROP TABLE temp.results_0004;
CREATE UNIQUE INDEX results_job ON results (job_id, case_id, repeat);
