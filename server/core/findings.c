/* SPDX-License-Identifier: GPL-2.0 */
/*
 * findings.c - the regression lifecycle's rules (findings.h): what a
 * batch of results does to findings, known issues and their matching.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>
#include <jansson.h>

#include "findings.h"
#include "log.h"
#include "match.h"
#include "names.h"
#include "outbox.h"
#include "store.h"
#include "store_findings.h"

#define OPEN_PER_CASE_MAX 64	/* open findings of one (target, case): causes differ */

/* ---- pure rules --------------------------------------------------------- */

int lab_finding_key(const char *target, const char *case_id, const char *from,
		    const char *to, char out[LAB_FINDING_KEY_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	const char *parts[4] = { target, case_id, from, to };
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_MD_CTX *c;
	int r = -EIO;

	c = EVP_MD_CTX_new();
	if (!c)
		return -ENOMEM;
	if (!EVP_DigestInit_ex(c, EVP_sha256(), NULL))
		goto free_ctx;
	for (int i = 0; i < 4; i++)	/* each part with its NUL: no two causes join alike */
		if (!parts[i] || !EVP_DigestUpdate(c, parts[i], strlen(parts[i]) + 1))
			goto free_ctx;
	if (!EVP_DigestFinal_ex(c, md, &mdlen) || mdlen < LAB_FINDING_KEY_LEN / 2)
		goto free_ctx;
	for (int i = 0; i < LAB_FINDING_KEY_LEN / 2; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[LAB_FINDING_KEY_LEN] = '\0';
	r = 0;
free_ctx:
	EVP_MD_CTX_free(c);
	return r;
}

int lab_kernel_order_cmp(const char *a, const char *b)
{
	return strverscmp(a ? a : "", b ? b : "");
}

bool lab_known_issue_matches(const struct lab_known_issue *ki, const char *driver,
			     const char *case_id, const char *target, const char *kernel)
{
	if (ki->driver && *ki->driver && (!driver || strcmp(ki->driver, driver)))
		return false;
	if (!lab_globs_match(ki->case_glob, case_id ? case_id : "") ||
	    !lab_globs_match(ki->target_glob, target ? target : ""))
		return false;
	if (ki->kernel_min && *ki->kernel_min && lab_kernel_order_cmp(kernel, ki->kernel_min) < 0)
		return false;
	if (ki->kernel_max && *ki->kernel_max && lab_kernel_order_cmp(kernel, ki->kernel_max) > 0)
		return false;
	return true;
}

int lab_known_issue_check(const struct lab_known_issue *ki, char *err, size_t errlen)
{
	if (ki->driver && lab_name_check(LAB_NAME_DRIVER, "\"driver\"", ki->driver, err, errlen))
		return -EINVAL;
	if (ki->case_glob && lab_name_check(LAB_NAME_PATTERN, "\"case\"", ki->case_glob, err,
					    errlen))
		return -EINVAL;
	if (ki->target_glob && lab_name_check(LAB_NAME_PATTERN, "\"target\"", ki->target_glob,
					      err, errlen))
		return -EINVAL;
	if (ki->kernel_min && lab_name_check(LAB_NAME_VERSION, "\"kernel_min\"", ki->kernel_min,
					     err, errlen))
		return -EINVAL;
	if (ki->kernel_max && lab_name_check(LAB_NAME_VERSION, "\"kernel_max\"", ki->kernel_max,
					     err, errlen))
		return -EINVAL;
	if (ki->kernel_min && ki->kernel_max &&
	    lab_kernel_order_cmp(ki->kernel_min, ki->kernel_max) > 0) {
		snprintf(err, errlen, "\"kernel_min\" %s is after \"kernel_max\" %s",
			 ki->kernel_min, ki->kernel_max);
		return -EINVAL;
	}
	if (lab_name_check(LAB_NAME_TEXT, "\"reason\"", ki->reason, err, errlen))
		return -EINVAL;
	return 0;
}

/* ---- kernels and targets by id ------------------------------------------ */

/* the kernel's order key (its version, else its name) into @buf */
static int kernel_key(struct lab_store *st, int64_t id, char *buf, size_t n)
{
	struct lab_kernel k;
	int r = lab_store_kernel_get_id(st, id, &k);

	if (r)
		return r;
	snprintf(buf, n, "%s", k.version && *k.version ? k.version : k.name);
	lab_kernel_clear(&k);
	return 0;
}

/* ---- one batch ------------------------------------------------------------ */

struct batch {
	struct lab_store *st;
	int64_t job_id, kernel_id, target_id;
	char target[65], kernel[129];		/* name; order key */
	char vendor[65];
	struct lab_known_issue *known;
	size_t nknown;
	int opened, confirmed, fixed, reopened;
	const char *untracked;	/* non-NULL: this job opens and closes nothing (why) */
	/* does any subscription want finding-opened / finding-fixed? asked
	 * once per batch (inside its transaction): 0 no, 1 yes, -1 not yet */
	int want[2];
};

static bool violates(enum lab_verdict v)
{
	return v == LAB_VERDICT_FAIL || v == LAB_VERDICT_CRASH || v == LAB_VERDICT_WARN;
}

static int cmp_case(const void *a, const void *b)
{
	const struct lab_result *x = *(const struct lab_result *const *)a;
	const struct lab_result *y = *(const struct lab_result *const *)b;

	return strcmp(x->case_id, y->case_id);
}

static const char *to_name_of(const struct lab_result *r)
{
	if (r->verdict == LAB_VERDICT_CRASH || r->verdict == LAB_VERDICT_WARN)
		return lab_verdict_name(r->verdict);
	return lab_errno_name(r->observed);
}

/* the subscriptions' deliveries of @event for finding @f (outbox.h), in
 * the batch's transaction; no payload is built when nobody wants it */
static int emit(struct batch *b, const char *event, const struct lab_finding *f)
{
	int *want = &b->want[strcmp(event, "finding-opened") != 0];
	json_t *p;

	if (*want < 0) {
		bool yes = true;
		int r = lab_outbox_wanted(b->st, event, &yes);

		if (r)
			return r;
		*want = yes;
	}
	if (!*want)
		return 0;
	p = json_pack("{s:s, s:{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I}}",
			      "event", event, "finding", "id", (json_int_t)f->id, "key", f->key,
			      "target", b->target, "case", f->case_id, "driver", f->driver,
			      "from", f->from_name, "to", f->to_name, "verdict",
			      lab_verdict_name(f->verdict), "kernel", b->kernel, "job",
			      (json_int_t)b->job_id);
	char *text = p ? json_dumps(p, JSON_COMPACT) : NULL;
	int r = text ? lab_outbox_emit(b->st, event, f->driver, b->vendor[0] ? b->vendor : NULL,
				       f->case_id, text) : -ENOMEM;

	free(text);
	json_decref(p);
	return r;
}

/* a violating result of this batch's job */
static int on_violation(struct batch *b, const struct lab_result *x)
{
	const char *from = x->expected >= 0 ? lab_errno_name(x->expected) : "none";
	struct lab_finding f;
	char last[129];
	int r, c;

	memset(&f, 0, sizeof(f));
	r = lab_finding_key(b->target, x->case_id, from, to_name_of(x), f.key);
	if (r)
		return r;
	{
		char key[LAB_FINDING_KEY_LEN + 1];

		memcpy(key, f.key, sizeof(key));
		r = lab_store_finding_by_key(b->st, key, &f);
		if (r == -ENOENT) {
			memset(&f, 0, sizeof(f));
			memcpy(f.key, key, sizeof(key));
			f.target_id = b->target_id;
			f.case_id = (char *)x->case_id;
			f.driver = (char *)x->driver;
			f.from_name = (char *)from;
			f.to_name = (char *)to_name_of(x);
			f.verdict = x->verdict;
			r = lab_store_finding_insert(b->st, &f, b->kernel_id, b->job_id);
			if (r)
				return r;
			b->opened++;
			r = emit(b, "finding-opened", &f);
			if (r)
				return r;
			for (size_t i = 0; i < b->nknown; i++) {
				if (lab_known_issue_matches(&b->known[i], x->driver, x->case_id,
							    b->target, b->kernel))
					return lab_store_finding_set_known(b->st, f.id,
									   b->known[i].id, NULL);
			}
			return 0;
		}
		if (r)
			return r;
	}
	r = kernel_key(b->st, f.fixed ? f.fixed_kernel_id : f.last_kernel_id, last, sizeof(last));
	if (r)
		goto clear;
	c = lab_kernel_order_cmp(b->kernel, last);
	if (!f.fixed) {
		r = lab_store_finding_seen(b->st, f.id, b->kernel_id, b->job_id, c >= 0, false,
					   "confirmed");
		b->confirmed++;
	} else if (c > 0) {
		r = lab_store_finding_seen(b->st, f.id, b->kernel_id, b->job_id, true, true,
					   "reopened");
		b->reopened++;
	} else {
		r = lab_store_finding_seen(b->st, f.id, b->kernel_id, b->job_id, false, false,
					   "seen-old");
	}
clear:
	lab_finding_clear(&f);
	return r;
}

/* every repeat of case @case_id passed on this batch's job */
static int on_pass(struct batch *b, const char *case_id)
{
	int64_t ids[OPEN_PER_CASE_MAX];
	size_t n = 0;
	int r;

	r = lab_store_findings_open_of(b->st, b->target_id, case_id, ids, OPEN_PER_CASE_MAX, &n);
	for (size_t i = 0; !r && i < n; i++) {
		struct lab_finding f;
		char last[129];

		r = lab_store_finding_get(b->st, ids[i], &f);
		if (r)
			break;
		r = kernel_key(b->st, f.last_kernel_id, last, sizeof(last));
		if (!r && lab_kernel_order_cmp(b->kernel, last) > 0) {
			r = lab_store_finding_fix(b->st, f.id, b->kernel_id, b->job_id);
			if (!r)
				r = emit(b, "finding-fixed", &f);
			b->fixed++;
		}
		lab_finding_clear(&f);
	}
	return r;
}

/* the results of one case (@v[0..n-1], all its repeats) */
static int judge_case(struct batch *b, const struct lab_result *const *v, size_t n)
{
	bool all_pass = true;

	for (size_t i = 0; i < n; i++) {
		if (violates(v[i]->verdict))
			return on_violation(b, v[i]);	/* the first violating repeat */
		if (v[i]->verdict != LAB_VERDICT_PASS)
			all_pass = false;
	}
	return all_pass ? on_pass(b, v[0]->case_id) : 0;
}

/*
 * Findings follow the kernels the lab tracks, as plans and nightlies run
 * them. A patch check's kernels (the series under review, the base built
 * for it) are judged by the check's own report (flows/patch.c), and a
 * bisection's steps are commits between a good and a bad kernel, judged by
 * the bisection: as findings they would open regressions of kernels nobody
 * follows, and a step that passes and orders after the bad kernel would
 * mark the real finding fixed. The plan row: id, name, kind, spec, ...
 */
static int plan_role_row(const struct lab_store_row *row, void *arg)
{
	const char **why = arg;
	const char *kind = lab_store_row_text(row, 2, NULL);
	const char *spec = lab_store_row_text(row, 3, NULL);
	json_t *j;

	if (kind && !strcmp(kind, "patch")) {
		*why = "a patch check's job (its report judges it)";
		return 0;
	}
	j = spec ? json_loads(spec, 0, NULL) : NULL;
	if (json_is_object(json_object_get(j, "bisect")))
		*why = "a bisection step's job (the bisection judges it)";
	json_decref(j);
	return 0;
}

static int batch_load(struct lab_store *st, int64_t job_id, struct batch *b)
{
	struct lab_target t;
	struct lab_job j;
	int r;

	memset(b, 0, sizeof(*b));
	b->st = st;
	b->job_id = job_id;
	r = lab_store_job_get(st, job_id, &j);
	if (r)
		return r;
	b->kernel_id = j.kernel_id;
	b->target_id = j.target_id;
	r = j.plan_id ? lab_store_plan_rows(st, j.plan_id, plan_role_row, &b->untracked) : 0;
	lab_job_clear(&j);
	if (r < 0 || b->untracked)	/* r: the number of plan rows */
		return r < 0 ? r : 0;
	r = lab_store_target_get_id(st, b->target_id, &t);
	if (r)
		return r;
	snprintf(b->target, sizeof(b->target), "%s", t.name);
	snprintf(b->vendor, sizeof(b->vendor), "%s", t.vendor ? t.vendor : "");
	lab_target_clear(&t);
	r = kernel_key(st, b->kernel_id, b->kernel, sizeof(b->kernel));
	if (r)
		return r;
	return lab_store_known_issues_load(st, &b->known, &b->nknown);
}

int lab_findings_ingested(struct lab_store *st, int64_t job_id,
			  const struct lab_result *res, size_t n)
{
	const struct lab_result **v;
	struct batch b;
	size_t i, j;
	int r;

	if (!n)
		return 0;
	v = malloc(n * sizeof(*v));
	if (!v) {
		r = -ENOMEM;
		goto log;
	}
	for (i = 0; i < n; i++)
		v[i] = &res[i];
	qsort(v, n, sizeof(*v), cmp_case);
	r = batch_load(st, job_id, &b);
	if (r)
		goto free_all;
	if (b.untracked) {
		lab_debug("findings: job %lld is %s: no findings", (long long)job_id, b.untracked);
		goto free_all;
	}
	b.want[0] = b.want[1] = -1;
	r = lab_store_tx_begin(st);
	if (r)
		goto free_all;
	for (i = 0; !r && i < n; i = j) {
		for (j = i + 1; j < n && !strcmp(v[j]->case_id, v[i]->case_id); j++)
			;
		r = judge_case(&b, v + i, j - i);
	}
	if (r) {
		lab_store_tx_rollback(st);
		goto free_all;
	}
	r = lab_store_tx_commit(st);
	if (r) {
		lab_store_tx_rollback(st);
		goto free_all;
	}
	if (b.opened || b.fixed || b.reopened)
		lab_info("findings: job %lld (%s on %s): %d opened, %d confirmed, %d fixed, "
			 "%d reopened", (long long)job_id, b.kernel, b.target, b.opened,
			 b.confirmed, b.fixed, b.reopened);
free_all:
	lab_known_issues_free(b.known, b.nknown);
	free(v);
log:
	if (r)
		lab_error("findings: job %lld: %s (its results are stored; findings not updated)",
			  (long long)job_id, strerror(-r));
	return r;
}

/* ---- known issues, links ---------------------------------------------- */

struct mark {
	struct lab_store *st;
	const struct lab_known_issue *ki;
	const char *by;
	int64_t ids[1024];
	size_t n;
};

static int collect_unmarked(const struct lab_store_row *row, void *arg)
{
	struct mark *m = arg;

	/* FS_OPEN_ROWS: target, case, known_issue, id */
	if (lab_store_row_type(row, 2) == LAB_COL_NULL && m->n < sizeof(m->ids) / sizeof(m->ids[0]))
		m->ids[m->n++] = lab_store_row_int(row, 3);
	return 0;
}

/* mark the open, not yet expected findings @m->ki matches */
static int mark_matching(struct mark *m, int *marked)
{
	int r, cnt = 0;

	m->n = 0;
	r = lab_store_findings_open_rows(m->st, collect_unmarked, m);
	if (r < 0)
		return r;
	for (size_t i = 0; i < m->n; i++) {
		struct lab_finding f;
		struct lab_target t;
		char kernel[129];

		r = lab_store_finding_get(m->st, m->ids[i], &f);
		if (r)
			return r;
		r = lab_store_target_get_id(m->st, f.target_id, &t);
		if (!r) {
			r = kernel_key(m->st, f.last_kernel_id, kernel, sizeof(kernel));
			if (!r && lab_known_issue_matches(m->ki, f.driver, f.case_id, t.name, kernel)) {
				r = lab_store_finding_set_known(m->st, f.id, m->ki->id, m->by);
				cnt++;
			}
			lab_target_clear(&t);
		}
		lab_finding_clear(&f);
		if (r)
			return r;
	}
	if (marked)
		*marked = cnt;
	return 0;
}

int lab_findings_expect(struct lab_store *st, struct lab_known_issue *ki, const char *by,
			int *marked)
{
	struct mark *m;
	char err[LAB_STORE_ERR_MAX];
	int r;

	if (lab_known_issue_check(ki, err, sizeof(err)))
		return -EINVAL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->st = st;
	m->ki = ki;
	m->by = by;
	r = lab_store_tx_begin(st);
	if (r)
		goto free_m;
	r = lab_store_known_issue_insert(st, ki, by);
	if (!r)
		r = mark_matching(m, marked);
	if (!r)
		r = lab_store_tx_commit(st);
	if (r)
		lab_store_tx_rollback(st);
free_m:
	free(m);
	return r;
}

int lab_findings_expect_one(struct lab_store *st, int64_t id, const char *reason,
			    const char *by, int64_t *known_id)
{
	struct lab_known_issue ki = { 0 };
	struct lab_finding f;
	struct lab_target t;
	char first[129];
	int r;

	r = lab_store_finding_get(st, id, &f);
	if (r)
		return r;
	r = lab_store_target_get_id(st, f.target_id, &t);
	if (r)
		goto clear_f;
	r = kernel_key(st, f.first_kernel_id, first, sizeof(first));
	if (r)
		goto clear_t;
	ki.driver = f.driver;
	ki.case_glob = f.case_id;
	ki.target_glob = t.name;
	/* a kernel name need not be a version: then the range is open */
	ki.kernel_min = lab_name_ok(LAB_NAME_VERSION, first) ? first : NULL;
	ki.reason = (char *)reason;
	r = lab_findings_expect(st, &ki, by, NULL);
	if (!r && known_id)
		*known_id = ki.id;
clear_t:
	lab_target_clear(&t);
clear_f:
	lab_finding_clear(&f);
	return r;
}

int lab_findings_retire(struct lab_store *st, int64_t id, const char *reason,
			const char *by, int *unmarked, char *err, size_t errlen)
{
	char note[2048 + 64];	/* a text is at most 2000 bytes (names.c) */
	int r;

	if (unmarked)
		*unmarked = 0;
	if (lab_name_check(LAB_NAME_TEXT, "\"reason\"", reason, err, errlen))
		return -EINVAL;
	if (id <= 0) {
		snprintf(err, errlen, "a known issue id is a positive integer");
		return -EINVAL;
	}
	snprintf(note, sizeof(note), "known issue %lld retired: %s", (long long)id, reason);
	r = lab_store_tx_begin(st);
	if (r)
		return r;
	r = lab_store_known_issue_retire(st, id, by, reason);
	if (!r)
		r = lab_store_known_issue_unmark(st, id, by, note, unmarked);
	if (!r)
		r = lab_store_tx_commit(st);
	if (r) {
		lab_store_tx_rollback(st);
		if (unmarked)
			*unmarked = 0;
	}
	return r;
}

int lab_findings_link(struct lab_store *st, int64_t id, const char *kind,
		      const char *value, const char *by, char *err, size_t errlen)
{
	char msgid[256];

	if (kind && !strcmp(kind, "url")) {
		if (lab_name_check(LAB_NAME_URL, "\"url\"", value, err, errlen))
			return -EINVAL;
		return lab_store_finding_link(st, id, kind, value, by);
	}
	if (!kind || strcmp(kind, "msgid")) {
		snprintf(err, errlen, "a link is a \"url\" or a \"msgid\"");
		return -EINVAL;
	}
	if (value && value[0] == '<') {	/* <id@host> as a mail header writes it */
		size_t n = strlen(value);

		if (n < 3 || value[n - 1] != '>' || n - 2 >= sizeof(msgid)) {
			snprintf(err, errlen, "\"msgid\": unbalanced '<' or too long");
			return -EINVAL;
		}
		memcpy(msgid, value + 1, n - 2);
		msgid[n - 2] = '\0';
		value = msgid;
	}
	if (lab_name_check(LAB_NAME_MSGID, "\"msgid\"", value, err, errlen))
		return -EINVAL;
	if (!strchr(value, '@') || strchr(value, '@') != strrchr(value, '@')) {
		snprintf(err, errlen, "\"msgid\": a message id has one '@' (local@domain)");
		return -EINVAL;
	}
	return lab_store_finding_link(st, id, kind, value, by);
}
