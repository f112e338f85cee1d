/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ingest.c - identity, classification and the one store call for results
 * from every source (ingest.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "findings.h"
#include "ingest.h"
#include "judge.h"
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

/*
 * The batch's cases: an open-addressing table keyed by case id (a batch
 * can hold thousands of distinct cases), each looked up once in the
 * store's latest contracts (one query per batch, sorted by case id) and
 * parsed on first use.
 */
struct judged_case {
	const char *case_id;		/* the batch's string; NULL: free slot */
	bool have;			/* false: the server has no contract for it */
	struct lab_judge_contract c;
};

struct judged_cases {
	struct judged_case *slot;
	size_t mask;
	struct lab_store_contract *latest;
	size_t nlatest;
};

static size_t case_hash(const char *s)
{
	size_t h = 1469598103934665603ULL;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
	return h;
}

static int latest_cmp(const void *key, const void *el)
{
	return strcmp(key, ((const struct lab_store_contract *)el)->case_id);
}

static int contract_for(struct judged_cases *jc, const char *case_id, struct judged_case **out,
			char *why, size_t whylen)
{
	size_t i = case_hash(case_id) & jc->mask;
	const struct lab_store_contract *l;
	struct judged_case *k;
	int r;

	while (jc->slot[i].case_id && strcmp(jc->slot[i].case_id, case_id))
		i = (i + 1) & jc->mask;
	k = &jc->slot[i];
	*out = k;
	if (k->case_id)
		return 0;
	k->case_id = case_id;
	l = bsearch(case_id, jc->latest, jc->nlatest, sizeof(*jc->latest), latest_cmp);
	if (!l)
		return 0;
	r = lab_judge_contract_parse(l->contracts_json, l->version, l->expect_reused, &k->c,
				     why, whylen);
	k->have = !r;
	return r;
}

int lab_ingest_judge(struct lab_store *st, const struct lab_ingest_job *job,
		     struct lab_result *res, size_t n, char (*labels)[LAB_JUDGE_LABEL_MAX],
		     char *why, size_t whylen)
{
	struct judged_cases jc = { 0 };
	size_t size = 16;
	struct judged_case *k;
	int r;

	while (size < 2 * n)
		size *= 2;
	jc.slot = calloc(size, sizeof(*jc.slot));
	jc.mask = size - 1;
	if (!jc.slot)
		return -ENOMEM;
	r = lab_store_contracts_latest(st, &jc.latest, &jc.nlatest);
	for (size_t i = 0; i < n && !r; i++) {
		struct lab_result *x = &res[i];
		struct lab_judgement jd;

		r = contract_for(&jc, x->case_id, &k, why, whylen);
		if (r)
			break;
		r = lab_judge_result(k->have ? &k->c : NULL, job->release, x, &jd, why, whylen);
		if (r)
			break;
		/* the server's rule is what the verdict stands on */
		snprintf(labels[i], LAB_JUDGE_LABEL_MAX, "%s", jd.contract);
		x->expected = jd.expected;
		x->contract = labels[i][0] ? labels[i] : NULL;
		x->contract_version = jd.version;
		x->judged_by = jd.by;
	}
	for (size_t i = 0; i < size; i++)
		lab_judge_contract_clear(&jc.slot[i].c);
	free(jc.slot);
	lab_store_contracts_free(jc.latest, jc.nlatest);
	return r;
}

int lab_ingest_store(struct lab_store *st, const struct lab_ingest_job *job,
		     const struct lab_result *res, size_t n, char *why, size_t whylen)
{
	char (*labels)[LAB_JUDGE_LABEL_MAX] = calloc(n ? n : 1, sizeof(*labels));
	struct lab_result *judged = malloc((n ? n : 1) * sizeof(*judged));
	int r = -ENOMEM;

	if (whylen)
		why[0] = '\0';
	if (!labels || !judged)
		goto out;
	/* shallow copies: the strings stay the caller's, but contract, which
	 * points into labels until the store has copied it */
	if (n)	/* an empty batch may come with no array at all */
		memcpy(judged, res, n * sizeof(*judged));
	r = lab_ingest_judge(st, job, judged, n, labels, why, whylen);
	if (!r)
		r = lab_store_results_ingest(st, job->id, judged, n);
	if (!r)	/* findings see the verdicts the server computed */
		lab_findings_ingested(st, job->id, judged, n);	/* logs its own errors */
out:
	free(labels);
	free(judged);
	return r;
}
