-- 0011-kernels-source-local.sql - a kernel's source may be "local" (issue
-- 12.5, bring your own kernel: .deb files, or an image + modules + headers
-- on the server's host, laid out by kernels/import), besides debian, url
-- (a download, now implemented) and build. SQLite cannot change a CHECK in
-- place: the table is rebuilt, ids kept, with deferred foreign keys as in
-- 0004 (jobs, results and latest reference kernels(id)).
PRAGMA defer_foreign_keys = ON;
CREATE TEMP TABLE kernels_0005 AS SELECT * FROM kernels;
DROP TABLE kernels;
CREATE TABLE kernels (
	id           INTEGER PRIMARY KEY,
	name         TEXT NOT NULL UNIQUE,
	release      TEXT,
	version      TEXT,
	arch         TEXT NOT NULL DEFAULT 'x86_64',
	source       TEXT NOT NULL DEFAULT 'debian'
	             CHECK (source IN ('debian', 'url', 'local', 'build')),
	source_ref   TEXT,
	image_path   TEXT,
	modules_path TEXT,
	headers_path TEXT,
	sha256       TEXT,
	created_at   INTEGER NOT NULL DEFAULT (strftime('%s', 'now')),
	updated_at   INTEGER NOT NULL DEFAULT (strftime('%s', 'now'))
);
INSERT INTO kernels (id, name, release, version, arch, source, source_ref, image_path,
		     modules_path, headers_path, sha256, created_at, updated_at)
	SELECT id, name, release, version, arch, source, source_ref, image_path,
	       modules_path, headers_path, sha256, created_at, updated_at
	FROM temp.kernels_0005;
DROP TABLE temp.kernels_0005;
