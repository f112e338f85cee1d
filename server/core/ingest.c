/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ingest.c - identity, classification and the one store call for results
 * from every source (ingest.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "findings.h"
#include "ingest.h"
#include "record.h"
#include "store.h"

int lab_ingest_job_load(struct lab_store *st, int64_t id, struct lab_ingest_job *out)
{
	struct lab_kernel k;
	struct lab_target t;
	struct lab_job j;
	int r;

	memset(out, 0, sizeof(*out));
	out->id = id;
	r = lab_store_job_get(st, id, &j);
	if (r)
		return r;
	if (lab_store_target_get_id(st, j.target_id, &t) == 0) {
		snprintf(out->target, sizeof(out->target), "%s", t.name);
		lab_target_clear(&t);
	}
	if (lab_store_kernel_get_id(st, j.kernel_id, &k) == 0) {
		snprintf(out->release, sizeof(out->release), "%s", k.release ? k.release : "");
		snprintf(out->arch, sizeof(out->arch), "%s", k.arch ? k.arch : "");
		lab_kernel_clear(&k);
	}
	lab_job_clear(&j);
	return 0;
}

void lab_ingest_job_of(const struct lab_job *j, const struct lab_target *t,
		       const struct lab_kernel *k, struct lab_ingest_job *out)
{
	memset(out, 0, sizeof(*out));
	out->id = j->id;
	if (t && t->name)
		snprintf(out->target, sizeof(out->target), "%s", t->name);
	if (k && k->release)
		snprintf(out->release, sizeof(out->release), "%s", k->release);
	if (k && k->arch)
		snprintf(out->arch, sizeof(out->arch), "%s", k->arch);
}

int lab_ingest_identity(const struct lab_ingest_job *job, const char *where,
			const char *target, const char *kernel, const char *arch,
			char *why, size_t whylen)
{
	/* a record names uname -m (aarch64), the job the lab's name (arm64) */
	if (arch && *arch && job->arch[0] && !lab_arch_same(arch, job->arch)) {
		snprintf(why, whylen, "%s: arch '%.32s', but job %lld runs on %s",
			 where, arch, (long long)job->id, job->arch);
		return -EINVAL;
	}
	if (target && *target && job->target[0] && strcmp(target, job->target) != 0) {
		snprintf(why, whylen, "%s: target '%.64s', but job %lld runs on '%s'",
			 where, target, (long long)job->id, job->target);
		return -EINVAL;
	}
	if (kernel && *kernel && job->release[0] && strcmp(kernel, job->release) != 0) {
		snprintf(why, whylen, "%s: kernel '%.128s', but job %lld runs '%s'",
			 where, kernel, (long long)job->id, job->release);
		return -EINVAL;
	}
	return 0;
}

int lab_ingest_scan_log(const struct lab_ingest_job *job, const char *log,
			size_t len, struct lab_record_scan *scan,
			enum lab_ingest_class *cls, char *why, size_t whylen)
{
	int r;

	why[0] = '\0';
	r = lab_record_scan(log, len, scan);
	if (r)
		return r;
	switch (scan->status) {
	case LAB_SCAN_OK:
		break;
	case LAB_SCAN_NO_END:
		*cls = LAB_INGEST_UNFINISHED;
		return 0;
	case LAB_SCAN_MALFORMED:
	case LAB_SCAN_COUNT_MISMATCH:
	case LAB_SCAN_BAD_END:
	default:
		*cls = LAB_INGEST_BAD;
		return 0;
	}
	*cls = lab_ingest_identity(job, "log (IOMMULAB-BEGIN)", scan->target,
				   scan->kernel, scan->arch, why, whylen) ?
	       LAB_INGEST_BAD : LAB_INGEST_OK;
	return 0;
}

int lab_ingest_store(struct lab_store *st, const struct lab_ingest_job *job,
		     const struct lab_result *res, size_t n)
{
	int r = lab_store_results_ingest(st, job->id, res, n);

	if (!r)
		lab_findings_ingested(st, job->id, res, n);	/* logs its own errors */
	return r;
}
