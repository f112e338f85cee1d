/* SPDX-License-Identifier: GPL-2.0 */
/*
 * helpers.h - shared fixtures for the server unit tests: a fresh SQLite file
 * per test (real database, real schema/ migrations), kernels, targets, jobs.
 * Everything is created under $LAB_TEST_OUT (or /tmp) and removed after.
 */
#ifndef LAB_TEST_HELPERS_H
#define LAB_TEST_HELPERS_H

#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "log.h"
#include "store.h"
#include "views.h"

static inline const char *top_dir(void)
{
	const char *t = getenv("LAB_TOP");

	return t && *t ? t : LAB_TOP_DEFAULT;
}

static inline void schema_dir(char *buf, size_t n)
{
	snprintf(buf, n, "%s/schema", top_dir());
}

/* the whole of file @rel (a path below the top: "tests/unit/data/x.log"),
 * NUL-terminated, its length in *@len; the caller frees it */
static inline char *fx_file_load(const char *rel, size_t *len)
{
	char path[PATH_MAX];
	FILE *f;
	char *buf;
	long n;

	snprintf(path, sizeof(path), "%s/%s", top_dir(), rel);
	f = fopen(path, "rb");
	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n >= 0);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	if (len)
		*len = (size_t)n;
	return buf;
}

/* a new empty temp dir; caller removes it with rm_tree() */
static inline void tmp_dir(char *buf, size_t n)
{
	const char *base = getenv("LAB_TEST_OUT");

	snprintf(buf, n, "%s/unit-XXXXXX", base && *base ? base : "/tmp");
	if (!mkdtemp(buf)) {
		snprintf(buf, n, "/tmp/unit-XXXXXX");
		if (!mkdtemp(buf))
			abort();
	}
}

static inline void rm_tree(const char *dir)
{
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
}

struct fx {
	char dir[PATH_MAX];
	char db[PATH_MAX];
	char schema[PATH_MAX];
	struct lab_store *st;
	int64_t kernel[2], target[2];
};

static inline int fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	const char *kn[2] = { "6.1", "6.12" };
	const char *tn[2] = { "q35-vtd", "virt-smmuv3" };
	const char *ta[2] = { "x86_64", "x86_64" };

	if (!f)
		return -1;
	lab_log_set_level(LAB_LOG_WARN);
	tmp_dir(f->dir, sizeof(f->dir));
	snprintf(f->db, sizeof(f->db), "%s/t.db", f->dir);
	schema_dir(f->schema, sizeof(f->schema));
	if (lab_store_open(f->db, f->schema, &f->st))
		return -1;
	for (int i = 0; i < 2; i++) {
		struct lab_kernel k = { .name = (char *)kn[i], .arch = "x86_64" };
		struct lab_target t = {
			.name = (char *)tn[i], .arch = (char *)ta[i], .backend = "qemu",
			.driver = "intel-iommu", .definition = "{}", .concurrency = 1,
		};

		if (lab_store_kernel_put(f->st, &k) || lab_store_target_put(f->st, &t))
			return -1;
		f->kernel[i] = k.id;
		f->target[i] = t.id;
	}
	*state = f;
	return 0;
}

static inline int fx_teardown(void **state)
{
	struct fx *f = *state;

	lab_store_close(f->st);
	rm_tree(f->dir);
	free(f);
	return 0;
}

static inline int64_t fx_job(struct fx *f, int k, int t)
{
	struct lab_job j = {
		.kernel_id = f->kernel[k], .target_id = f->target[t], .backend = "qemu",
	};

	assert_int_equal(lab_store_job_create(f->st, &j), 0);
	return j.id;
}

/* a job moved to running */
static inline int64_t fx_running_job(struct fx *f, int k, int t)
{
	int64_t id = fx_job(f, k, t);

	assert_int_equal(lab_store_job_transition(f->st, id, LAB_JOB_QUEUED,
						  LAB_JOB_SCHEDULED, NULL), 0);
	assert_int_equal(lab_store_job_transition(f->st, id, LAB_JOB_SCHEDULED,
						  LAB_JOB_RUNNING, NULL), 0);
	return id;
}

static inline struct lab_result fx_result(const char *case_id, int observed,
					  int expected, enum lab_verdict v)
{
	struct lab_result r = {
		.case_id = (char *)case_id, .driver = "intel-iommu", .iommu = "dmar0",
		.steps_json = "[]", .observed = observed, .expected = expected,
		.contract = ">=6.2:any", .verdict = v, .reused = -1, .verified = "core",
	};
	return r;
}

/* count rows of a table through a separate connection (what a reader sees) */
static inline int64_t fx_count(struct fx *f, const char *what)
{
	json_t *items = NULL;
	int64_t n;

	if (strcmp(what, "results") == 0) {
		struct lab_result_filter rf = { .verdict = -1, .limit = 1000 };

		assert_int_equal(lab_store_results_query(f->st, &rf, &items), 0);
	} else {
		struct lab_job_filter jf = { .state = -1, .limit = 1000 };

		assert_int_equal(lab_store_jobs_list(f->st, &jf, &items), 0);
	}
	n = (int64_t)json_array_size(items);
	json_decref(items);
	return n;
}

#endif /* LAB_TEST_HELPERS_H */
