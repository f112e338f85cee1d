-- 0001-init.sql - iommulab's first schema (applied by lab_store_open when
-- PRAGMA user_version < 1; the store sets user_version = 1 in the same
-- transaction). Times are unix seconds. States and verdicts are the integer
-- values of enum lab_job_state / enum lab_verdict (server/store.h).
--
-- Query paths and the index that serves each:
--   matrix for one kernel            latest PK (kernel_id, target_id, case_id)
--   latest result per (k, t, case)   latest PK: one index seek
--   diff between two kernels         latest PK range for each kernel
--   diff between two plans           jobs_plan + results_job
--   results by kernel/target/case    results_ktc; by job: results_job
--   job list by state / created      jobs_state (state, id); jobs.id is the
--                                    creation order (AUTOINCREMENT)
--   scheduler: next queued job       jobs_pick (state, priority, id)

CREATE TABLE kernels (
	id           INTEGER PRIMARY KEY,
	name         TEXT NOT NULL UNIQUE,
	release      TEXT,
	version      TEXT,
	arch         TEXT NOT NULL DEFAULT 'x86_64',
	source       TEXT NOT NULL DEFAULT 'debian'
	             CHECK (source IN ('debian', 'url', 'build')),
	source_ref   TEXT,
	image_path   TEXT,
	modules_path TEXT,
	headers_path TEXT,
	sha256       TEXT,
	created_at   INTEGER NOT NULL DEFAULT (strftime('%s', 'now')),
	updated_at   INTEGER NOT NULL DEFAULT (strftime('%s', 'now'))
);

CREATE TABLE targets (
	id          INTEGER PRIMARY KEY,
	name        TEXT NOT NULL UNIQUE,
	arch        TEXT NOT NULL,
	backend     TEXT NOT NULL CHECK (backend IN ('qemu', 'lava')),
	vendor      TEXT,
	driver      TEXT,
	device_type TEXT,
	definition  TEXT NOT NULL,              -- the target JSON, verbatim
	tags        TEXT NOT NULL DEFAULT '[]', -- JSON array
	health      TEXT NOT NULL DEFAULT 'unknown'
	            CHECK (health IN ('good', 'bad', 'unknown', 'retired')),
	concurrency INTEGER NOT NULL DEFAULT 1 CHECK (concurrency >= 1),
	updated_at  INTEGER NOT NULL DEFAULT (strftime('%s', 'now'))
);

-- the agent's catalogue (agent -l -j), upserted by case id
CREATE TABLE cases (
	id          INTEGER PRIMARY KEY,
	case_id     TEXT NOT NULL UNIQUE,       -- area.group.case
	area        TEXT NOT NULL,
	title       TEXT,
	contracts   TEXT NOT NULL DEFAULT '[]', -- JSON: expected errno rules
	meta        TEXT NOT NULL DEFAULT '{}', -- the catalogue entry, verbatim
	updated_at  INTEGER NOT NULL DEFAULT (strftime('%s', 'now'))
);

CREATE TABLE plans (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	name        TEXT,
	kind        TEXT NOT NULL CHECK (kind IN ('nightly', 'patch', 'manual')),
	spec        TEXT NOT NULL,              -- the submitted plan JSON
	case_filter TEXT,
	repeat      INTEGER NOT NULL DEFAULT 1 CHECK (repeat BETWEEN 1 AND 1000),
	priority    INTEGER NOT NULL DEFAULT 0,
	created_by  TEXT,                       -- token name
	created_at  INTEGER NOT NULL DEFAULT (strftime('%s', 'now'))
);

CREATE TABLE jobs (
	id             INTEGER PRIMARY KEY AUTOINCREMENT,
	plan_id        INTEGER REFERENCES plans(id),
	kernel_id      INTEGER NOT NULL REFERENCES kernels(id),
	target_id      INTEGER NOT NULL REFERENCES targets(id),
	state          INTEGER NOT NULL DEFAULT 0 CHECK (state BETWEEN 0 AND 5),
	priority       INTEGER NOT NULL DEFAULT 0,
	attempts       INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
	max_attempts   INTEGER NOT NULL DEFAULT 3 CHECK (max_attempts >= 1),
	timeout_s      INTEGER NOT NULL DEFAULT 600 CHECK (timeout_s > 0),
	repeat         INTEGER NOT NULL DEFAULT 1 CHECK (repeat >= 1),
	case_filter    TEXT,
	backend        TEXT NOT NULL,
	backend_job_id TEXT,
	log_path       TEXT,
	reason         TEXT,
	created_at     INTEGER NOT NULL DEFAULT (strftime('%s', 'now')),
	started_at     INTEGER,
	finished_at    INTEGER,
	updated_at     INTEGER NOT NULL DEFAULT (strftime('%s', 'now'))
);
CREATE INDEX jobs_state  ON jobs (state, id);
CREATE INDEX jobs_pick   ON jobs (state, priority DESC, id);
CREATE INDEX jobs_plan   ON jobs (plan_id, id);
CREATE INDEX jobs_kernel ON jobs (kernel_id, id);
CREATE INDEX jobs_target ON jobs (target_id, id);

-- one row per record line (docs/records.md); kernel_id/target_id are the
-- job's, copied so matrix/diff/queries never join through jobs
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
	verdict     INTEGER NOT NULL CHECK (verdict BETWEEN 0 AND 3),
	reason      TEXT,
	reused      INTEGER CHECK (reused IN (0, 1)),
	verified    TEXT,
	duration_us INTEGER NOT NULL DEFAULT 0,
	repeat      INTEGER NOT NULL DEFAULT 0,
	created_at  INTEGER NOT NULL DEFAULT (strftime('%s', 'now'))
);
CREATE UNIQUE INDEX results_job ON results (job_id, case_id, repeat);
CREATE INDEX results_ktc ON results (kernel_id, target_id, case_id);

-- the latest COMPLETE result per (kernel, target, case): maintained when a
-- job becomes complete (same transaction), so matrix and diff are index
-- range scans; runs/distinct_observed summarise the repeats of that job
CREATE TABLE latest (
	kernel_id         INTEGER NOT NULL REFERENCES kernels(id),
	target_id         INTEGER NOT NULL REFERENCES targets(id),
	case_id           TEXT NOT NULL,
	result_id         INTEGER NOT NULL REFERENCES results(id),
	job_id            INTEGER NOT NULL REFERENCES jobs(id),
	runs              INTEGER NOT NULL DEFAULT 1,
	distinct_observed INTEGER NOT NULL DEFAULT 1,
	PRIMARY KEY (kernel_id, target_id, case_id)
) WITHOUT ROWID;

-- API tokens: only the SHA-256 (hex) of the secret is stored
CREATE TABLE tokens (
	id           INTEGER PRIMARY KEY,
	name         TEXT NOT NULL UNIQUE,
	sha256       TEXT NOT NULL UNIQUE CHECK (length(sha256) = 64),
	scopes       TEXT NOT NULL DEFAULT 'admin', -- space-separated: admin, ingest
	created_at   INTEGER NOT NULL DEFAULT (strftime('%s', 'now')),
	last_used_at INTEGER
);
