/* SPDX-License-Identifier: GPL-2.0 */
/*
 * diff_qemu.c - the QEMU generation in a diff (diff_qemu.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "diff_qemu.h"
#include "views.h"

static bool known(const char *v)
{
	return v && *v;
}

bool lab_diff_qemu_differs(const char *base_qemu, const char *head_qemu)
{
	return known(base_qemu) && known(head_qemu) && strcmp(base_qemu, head_qemu) != 0;
}

static const char *row_target(const struct lab_store_side *sd, size_t i)
{
	return sd->pool + sd->rows[i].target_off;
}

const char *lab_diff_qemu_of(const struct lab_store_side *sd, const char *target)
{
	size_t lo = 0, hi = sd->n;

	/* the first row of @target: rows are sorted by target (binary collation) */
	while (target && lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(row_target(sd, mid), target) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo; i < sd->n; i++) {
		const char *q = sd->pool + sd->rows[i].qemu_off;

		if (target && strcmp(row_target(sd, i), target))
			break;
		if (known(q))
			return q;
	}
	return "";
}

/* members a twin may change: who it is, how the scheduler treats it and
 * whether LAVA may run it too ("lava": device type and job context, not the
 * machine, which is "qemu" for both backends) */
static const char *const free_top[] = {
	"name", "description", "tags", "concurrency", "lava", NULL,
};
/* inside "qemu": the generation itself */
static const char *const free_qemu[] = { "version", NULL };

static bool in(const char *const *set, const char *k)
{
	for (; *set; set++)
		if (!strcmp(*set, k))
			return true;
	return false;
}

/* the first member of @a or @b (objects) outside @free, but @skip
 * (NULL: none) whose values differ */
static const char *first_difference(json_t *a, json_t *b, const char *const *free,
				    const char *skip)
{
	json_t *x[2] = { a, b }, *v;
	const char *k;

	for (int s = 0; s < 2; s++)
		json_object_foreach(x[s], k, v)
			if (!in(free, k) && !(skip && !strcmp(k, skip)) &&
			    !json_equal(v, json_object_get(x[!s], k)))
				return k;
	return NULL;
}

int lab_diff_qemu_twins(json_t *base_def, json_t *head_def, char *why, size_t whylen)
{
	json_t *bq = json_object_get(base_def, "qemu"), *hq = json_object_get(head_def, "qemu");
	bool both = json_is_object(bq) && json_is_object(hq);
	const char *k;

	if (!json_is_object(base_def) || !json_is_object(head_def)) {
		snprintf(why, whylen, "a target has no definition");
		return -EINVAL;
	}
	/* "qemu" member by member when both have one: its version may differ */
	k = both ? first_difference(bq, hq, free_qemu, NULL) : NULL;
	if (k) {
		snprintf(why, whylen, "qemu.%s", k);
		return -EINVAL;
	}
	k = first_difference(base_def, head_def, free_top, both ? "qemu" : NULL);
	if (k) {
		snprintf(why, whylen, "%s", k);
		return -EINVAL;
	}
	return 0;
}

int lab_diff_qemu_check_targets(struct lab_store *st, const char *const *tg, char *err,
				size_t errlen)
{
	json_t *t[2] = { NULL, NULL };
	char why[64];
	int r = 0;

	if (!tg[0] || !tg[1] || !*tg[0] || !*tg[1]) {
		snprintf(err, errlen, "base_target and head_target go together");
		return -EINVAL;
	}
	for (int s = 0; s < 2 && !r; s++) {
		r = lab_store_target_json(st, tg[s], &t[s]);
		if (r == -ENOENT)
			snprintf(err, errlen, "unknown target '%.64s'", tg[s]);
	}
	if (!r && lab_diff_qemu_twins(json_object_get(t[0], "definition"),
				      json_object_get(t[1], "definition"), why, sizeof(why))) {
		snprintf(err, errlen, "targets '%.64s' and '%.64s' differ in %s, not only in "
			 "their QEMU generation: a diff across targets compares twins",
			 tg[0], tg[1], why);
		r = -EINVAL;
	}
	json_decref(t[0]);
	json_decref(t[1]);
	return r;
}

void lab_diff_qemu_row_text(struct lab_jsonbuf *b, const char *base_qemu,
			    const char *head_qemu, bool change)
{
	lab_jsonbuf_lit(b, ",\"qemu\":{\"base\":");
	lab_jsonbuf_str(b, known(base_qemu) ? base_qemu : NULL);
	lab_jsonbuf_lit(b, ",\"head\":");
	lab_jsonbuf_str(b, known(head_qemu) ? head_qemu : NULL);
	lab_jsonbuf_lit(b, "},\"qemu_change\":");
	lab_jsonbuf_bool(b, change);
}

int lab_diff_qemu_text_header(FILE *f, json_t *diff)
{
	json_t *row;
	size_t i;
	int n = 0;

	json_array_foreach(json_object_get(diff, "rows"), i, row)
		n += json_is_true(json_object_get(row, "qemu_change"));
	if (n)
		fprintf(f, "QEMU change, not a kernel regression (the sides ran on different "
			"QEMU versions): %d row%s\n", n, n == 1 ? "" : "s");
	return n;
}

void lab_diff_qemu_class_cell(json_t *row, char *buf, size_t n)
{
	const char *cls = json_string_value(json_object_get(row, "class"));
	json_t *q = json_object_get(row, "qemu");

	if (json_is_true(json_object_get(row, "qemu_change")))
		snprintf(buf, n, "%s, QEMU %s -> %s", cls ? cls : "",
			 json_string_value(json_object_get(q, "base")) ?: "?",
			 json_string_value(json_object_get(q, "head")) ?: "?");
	else
		snprintf(buf, n, "%s", cls ? cls : "");
}
