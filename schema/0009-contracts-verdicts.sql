-- 0009-contracts-verdicts.sql - the server judges (issue 15.2,
-- docs/server.md "Verdicts"). The contracts the catalogue import brings
-- (POST /cases) are kept as numbered versions per case: an import whose
-- contracts (or expected domain reuse) differ from a case's latest version
-- adds version N+1 and keeps every older one. Each result names the
-- contract version it was judged against and who decided its base verdict;
-- a rejudge after a contract change writes one verdict_history row per
-- result whose verdict it changed.

CREATE TABLE contract_versions (
	id            INTEGER PRIMARY KEY,
	case_id       TEXT NOT NULL,
	version       INTEGER NOT NULL CHECK (version >= 1),
	contracts     TEXT NOT NULL,   -- JSON array: [{kernel_min, kernel_max_excl, driver, expected_errno}]
	expect_reused INTEGER CHECK (expect_reused IN (0, 1)), -- NULL: not a reuse case
	created_at    INTEGER NOT NULL DEFAULT (strftime('%s', 'now')),
	UNIQUE (case_id, version)
);

-- the catalogue already imported becomes version 1 of each case
INSERT INTO contract_versions (case_id, version, contracts, expect_reused)
	SELECT case_id, 1, contracts,
	       CASE json_type(meta, '$.expect_reused') WHEN 'true' THEN 1 WHEN 'false' THEN 0 END
	FROM cases WHERE json_valid(contracts) AND json_type(meta, '$.contracts') = 'array';

-- contract_version: the version the verdict was computed against, NULL when
-- the server had no contract for the case (judged against the record's own
-- "expected"); judged_by: 'contract' (the server's errno judgement),
-- 'agent' (a verdict only the agent can decide: skip, error, a failed
-- attach verification), 'record' (no server contract: the record's own)
ALTER TABLE results ADD COLUMN contract_version INTEGER;
ALTER TABLE results ADD COLUMN judged_by TEXT
	CHECK (judged_by IS NULL OR judged_by IN ('contract', 'agent', 'record'));

CREATE TABLE verdict_history (
	id               INTEGER PRIMARY KEY,
	result_id        INTEGER NOT NULL REFERENCES results(id),
	case_id          TEXT NOT NULL,
	-- 'verdict', or 'contract_verdict' for a crash/warn result (its verdict
	-- stays: a kernel report replaces the errno judgement)
	field            TEXT NOT NULL CHECK (field IN ('verdict', 'contract_verdict')),
	old_verdict      INTEGER NOT NULL CHECK (old_verdict BETWEEN 0 AND 5),
	new_verdict      INTEGER NOT NULL CHECK (new_verdict BETWEEN 0 AND 5),
	old_expected     INTEGER,
	new_expected     INTEGER,
	old_contract_version INTEGER,
	contract_version INTEGER NOT NULL,
	changed_at       INTEGER NOT NULL DEFAULT (strftime('%s', 'now'))
);
CREATE INDEX verdict_history_result ON verdict_history (result_id);
