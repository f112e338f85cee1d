-- 0013-known-issues-retire.sql - known issues can be retired (issue 18.1):
-- when the bug a known issue excuses is fixed, a person retires it
-- (POST /known-issues/{id}/retire, `iommulab findings retire ID`). The
-- row stays, with who retired it, when and why; a retired known issue
-- matches nothing: diffs, the nightly comparison, patch checks and new
-- findings read only the active ones (store_findings.c), and the open
-- findings it marked expected are unmarked (an "unexpected" event each).
-- Every known issue made before this migration is active.
ALTER TABLE known_issues ADD COLUMN state TEXT NOT NULL DEFAULT 'active'
	CHECK (state IN ('active', 'retired'));
ALTER TABLE known_issues ADD COLUMN retired_by TEXT;      -- a token's name
ALTER TABLE known_issues ADD COLUMN retired_at INTEGER;
ALTER TABLE known_issues ADD COLUMN retire_reason TEXT;
