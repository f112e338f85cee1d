-- 0005-findings.sql - the regression lifecycle (issue 18.1): findings,
-- their history and links, and known issues (expected failures).
--
-- A finding is one cause of a contract violation: a result whose verdict is
-- fail, crash or warn, on one target, for one case, going from the
-- contract's errno to what was observed ("EINVAL -> ENODEV", "OK -> crash").
-- Its `key` is a hash of (target, case, from, to): the same cause always
-- has the same key, in this database or in another one (UNIQUE: a cause is
-- never opened twice; a cause that comes back after a fix reopens its
-- finding). core/findings.c decides, core/store_findings.c stores.
--
-- Query paths: by key (findings_key, UNIQUE); the open findings of one
-- (target, case) when a result passes (findings_tc); the list newest first
-- (rowid); a finding's events and links (their finding_id indexes).

CREATE TABLE findings (
	id            INTEGER PRIMARY KEY AUTOINCREMENT,
	key           TEXT NOT NULL UNIQUE CHECK (length(key) = 16),
	target_id     INTEGER NOT NULL REFERENCES targets(id),
	case_id       TEXT NOT NULL,
	driver        TEXT NOT NULL,
	from_name     TEXT NOT NULL,              -- the contract's errno name ("EINVAL")
	to_name       TEXT NOT NULL,              -- what was observed ("ENODEV", "crash")
	verdict       INTEGER NOT NULL CHECK (verdict BETWEEN 0 AND 5),
	state         TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'fixed')),
	first_kernel_id INTEGER NOT NULL REFERENCES kernels(id),
	first_job_id  INTEGER NOT NULL REFERENCES jobs(id),
	last_kernel_id INTEGER NOT NULL REFERENCES kernels(id),
	last_job_id   INTEGER NOT NULL REFERENCES jobs(id),
	seen          INTEGER NOT NULL DEFAULT 1 CHECK (seen >= 1),
	fixed_kernel_id INTEGER REFERENCES kernels(id),
	fixed_job_id  INTEGER REFERENCES jobs(id),
	known_issue_id INTEGER REFERENCES known_issues(id),
	acked_by      TEXT,
	acked_at      INTEGER,
	ack_note      TEXT,
	opened_at     INTEGER NOT NULL,
	updated_at    INTEGER NOT NULL,
	closed_at     INTEGER
);
CREATE INDEX findings_tc ON findings (target_id, case_id, state);

-- what happened to a finding, oldest first: opened, confirmed, reopened,
-- fixed, seen-old (failing again on a kernel at or before its fix), acked,
-- linked, expected, expected-passed (an expected failure passes again)
CREATE TABLE finding_events (
	id         INTEGER PRIMARY KEY,
	finding_id INTEGER NOT NULL REFERENCES findings(id),
	kind       TEXT NOT NULL,
	kernel_id  INTEGER REFERENCES kernels(id),
	job_id     INTEGER REFERENCES jobs(id),
	by_name    TEXT,                          -- a token's name, or NULL for the lab
	note       TEXT,
	at         INTEGER NOT NULL
);
CREATE INDEX finding_events_f ON finding_events (finding_id, id);

-- a bug URL or a lore message id, each once per finding
CREATE TABLE finding_links (
	finding_id INTEGER NOT NULL REFERENCES findings(id),
	kind       TEXT NOT NULL CHECK (kind IN ('url', 'msgid')),
	value      TEXT NOT NULL,
	by_name    TEXT,
	at         INTEGER NOT NULL,
	PRIMARY KEY (finding_id, kind, value)
) WITHOUT ROWID;

-- known issues: a failure that is expected where driver, case pattern,
-- target pattern and kernel range all match (NULL: any). Patterns are
-- shell globs (fnmatch); kernel bounds compare as versions (strverscmp) on
-- a kernel's version, else its name.
CREATE TABLE known_issues (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	driver      TEXT,
	case_glob   TEXT,
	target_glob TEXT,
	kernel_min  TEXT,
	kernel_max  TEXT,
	reason      TEXT NOT NULL,
	created_by  TEXT,
	created_at  INTEGER NOT NULL
);
