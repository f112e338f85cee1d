-- 0010-bisect.sql - bisections (server/flows/bisect.c, issue 17): one row
-- per bisection, one per step. A step is a plan (kind manual, spec.bisect)
-- whose one job runs one case on one target on the step's kernel; the step
-- row keeps its judgement and the evidence (errno distribution, job ids,
-- build time) as JSON. spec and result are JSON documents (bisect.h).
CREATE TABLE bisections (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	kind        TEXT NOT NULL CHECK (kind IN ('git', 'series')),
	state       TEXT NOT NULL CHECK (state IN ('running', 'found', 'failed', 'canceled')),
	spec        TEXT NOT NULL,              -- the checked request + resolved commits
	result      TEXT,                       -- JSON: first bad commit, log, reproduction
	reason      TEXT,                       -- why it failed (state failed)
	created_by  TEXT,                       -- token name
	created_at  INTEGER NOT NULL DEFAULT (strftime('%s', 'now')),
	finished_at INTEGER
);
CREATE INDEX bisections_state ON bisections (state);

CREATE TABLE bisect_steps (
	id           INTEGER PRIMARY KEY,
	bisection_id INTEGER NOT NULL REFERENCES bisections(id),
	n            INTEGER NOT NULL CHECK (n >= 1),
	commit_id    TEXT NOT NULL,             -- a commit id, or "patch:K" of a series
	subject      TEXT,
	kernel       TEXT NOT NULL,             -- the registered build kernel
	plan_id      INTEGER REFERENCES plans(id),
	judgement    TEXT CHECK (judgement IN ('good', 'bad', 'skip')), -- NULL: running
	detail       TEXT,                      -- JSON: distribution, jobs, build_s, why
	created_at   INTEGER NOT NULL DEFAULT (strftime('%s', 'now')),
	finished_at  INTEGER,
	UNIQUE (bisection_id, n)
);
