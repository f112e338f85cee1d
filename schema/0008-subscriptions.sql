-- 0008-subscriptions.sql - subscriptions and their deliveries (issue 18.2).
-- A subscription is a webhook (JSON POSTed, signed with HMAC-SHA256 of the
-- body under its shared secret) or a maildir (a mail drafted into
-- DIR/new), for some events and, optionally, one driver, one vendor or a
-- case glob. An event (core/outbox.c) becomes one delivery per matching
-- subscription, in the same transaction as what caused it (an outbox:
-- nothing is lost when the daemon stops before sending); flows/deliver.c
-- sends due deliveries with retries and backoff and logs every attempt.
-- The secret is kept (signing needs it) and never leaves through the API.
CREATE TABLE subscriptions (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	kind       TEXT NOT NULL CHECK (kind IN ('webhook', 'maildir')),
	url        TEXT,
	maildir    TEXT,
	secret     TEXT,
	driver     TEXT,
	vendor     TEXT,
	case_glob  TEXT,
	events     TEXT NOT NULL,        -- comma-separated event names
	created_by TEXT,
	created_at INTEGER NOT NULL,
	CHECK ((kind = 'webhook' AND url IS NOT NULL AND secret IS NOT NULL) OR
	       (kind = 'maildir' AND maildir IS NOT NULL))
);
CREATE TABLE deliveries (
	id              INTEGER PRIMARY KEY,
	subscription_id INTEGER NOT NULL REFERENCES subscriptions(id),
	event           TEXT NOT NULL,
	payload         TEXT NOT NULL,   -- the JSON body
	state           TEXT NOT NULL DEFAULT 'pending'
	                CHECK (state IN ('pending', 'delivered', 'failed')),
	attempts        INTEGER NOT NULL DEFAULT 0,
	next_at         INTEGER NOT NULL,
	created_at      INTEGER NOT NULL,
	delivered_at    INTEGER
);
CREATE INDEX deliveries_due ON deliveries (state, next_at);
CREATE INDEX deliveries_sub ON deliveries (subscription_id, id);
CREATE TABLE delivery_attempts (
	id          INTEGER PRIMARY KEY,
	delivery_id INTEGER NOT NULL REFERENCES deliveries(id),
	at          INTEGER NOT NULL,
	status      INTEGER,             -- HTTP status, NULL: no answer
	error       TEXT
);
CREATE INDEX delivery_attempts_d ON delivery_attempts (delivery_id, id);
