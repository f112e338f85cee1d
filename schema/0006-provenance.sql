-- 0006-provenance.sql - what made each job's results (issue 18.4): the
-- kernel (its source and recipe or package, release, image and its
-- SHA-256), the initramfs, the agent and the probe module that went into
-- it, the target file, the QEMU version and the exact command lines
-- (rig/boot's arguments and the QEMU command rig/boot assembled). Written
-- once per run by run/provenance.c (the QEMU runner, after the guest
-- exits); read by GET /jobs/{id} ("provenance") and `iommulab reproduce`.
-- A retried job's row is its last attempt's.
CREATE TABLE job_provenance (
	job_id         INTEGER PRIMARY KEY REFERENCES jobs(id),
	top            TEXT NOT NULL,       -- the lab's checkout that ran it
	cache_dir      TEXT NOT NULL,
	kernel_source  TEXT,                -- debian | url | build
	kernel_ref     TEXT,                -- package, URL or build recipe
	kernel_release TEXT,
	arch           TEXT NOT NULL,
	kernel_image   TEXT,
	kernel_sha256  TEXT,
	initrd         TEXT,
	initrd_sha256  TEXT,
	agent          TEXT,
	agent_sha256   TEXT,
	kmod           TEXT,
	kmod_sha256    TEXT,
	target_file    TEXT,
	target_sha256  TEXT,
	qemu_version   TEXT,
	boot_args      TEXT,                -- rig/boot's arguments, shell-quoted
	qemu_cmdline   TEXT,                -- the QEMU command, shell-quoted
	recorded_at    INTEGER NOT NULL
);
