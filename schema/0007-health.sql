-- 0007-health.sql - healthy targets (issue 18.6), as LAVA keeps devices.
-- targets.health (good | bad | unknown | retired) stays the one thing the
-- scheduler and plans read (a bad or retired target gets no jobs); these
-- tables say why it is what it is:
--   target_admin       the state a person set: active | maintenance |
--                      retired, with the reason (maintenance and retired
--                      make health 'bad' / 'retired'; active again makes it
--                      'unknown' and queues a health check)
--   health_jobs        the jobs that are health checks (a known-good kernel,
--                      a short case filter) and whether flows/health.c has
--                      judged them yet
--   target_health_log  every change and check, oldest first (the target
--                      page's history)
CREATE TABLE target_admin (
	target_id INTEGER PRIMARY KEY REFERENCES targets(id),
	state     TEXT NOT NULL CHECK (state IN ('active', 'maintenance', 'retired')),
	reason    TEXT,
	by_name   TEXT,
	at        INTEGER NOT NULL
);
CREATE TABLE health_jobs (
	job_id    INTEGER PRIMARY KEY REFERENCES jobs(id),
	target_id INTEGER NOT NULL REFERENCES targets(id),
	why       TEXT NOT NULL,
	judged    INTEGER NOT NULL DEFAULT 0 CHECK (judged IN (0, 1))
);
CREATE INDEX health_jobs_open ON health_jobs (judged, target_id);
CREATE TABLE target_health_log (
	id        INTEGER PRIMARY KEY,
	target_id INTEGER NOT NULL REFERENCES targets(id),
	event     TEXT NOT NULL,   -- state, check-queued, check-passed, check-failed, check-canceled
	health    TEXT,            -- the target's health after the event
	job_id    INTEGER REFERENCES jobs(id),
	reason    TEXT,
	by_name   TEXT,
	at        INTEGER NOT NULL
);
CREATE INDEX target_health_log_t ON target_health_log (target_id, id);
