-- 0012-patch-announced.sql - patch checks whose "patch-check" event is out
-- (issue 18.2). flows/patchevent.c emits the event once per check, when its
-- report reaches a verdict, and records it here in the same transaction as
-- the deliveries (core/outbox.h): a check is announced once, never lost.
CREATE TABLE patch_announced (
	plan_id INTEGER PRIMARY KEY REFERENCES plans(id),
	state   TEXT NOT NULL,       -- the report's state then (success|warning|fail)
	at      INTEGER NOT NULL
);
-- checks that were over before this table existed are not announced now
INSERT INTO patch_announced (plan_id, state, at)
SELECT p.id, 'before-0012', CAST(strftime('%s', 'now') AS INTEGER) FROM plans p
WHERE p.kind = 'patch' AND NOT EXISTS
	(SELECT 1 FROM jobs j WHERE j.plan_id = p.id AND j.state IN (0, 1, 2));
