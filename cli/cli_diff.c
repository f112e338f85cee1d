/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cli_diff.c - `iommulab diff|export`: the errno-level diff of two kernels'
 * (or two twin targets') latest results through /api/v1/diffs, with likely
 * commits for regressed rows (/api/v1/likely), and a plan's results as
 * JUnit XML or KCIDB JSON on stdout (cli.h's helpers).
 *
 *   diff KERNEL1 KERNEL2 [--json] [--all] [--fail-on-regress]
 *        [--base-target T1 --head-target T2]
 *   export junit|kcidb --plan N
 *
 * Invariants: QEMU changes are listed apart and never count as
 * regressions; besides a refusal, diff exits 1 only under --fail-on-regress
 * with a regression.
 * Ownership as cli.c says: every json_t here is decref'd by its getter.
 */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

/* "EINVAL/pass" for one side of a diff row, "-" when absent */
static const char *side_str(json_t *side, char *buf, size_t len)
{
	json_t *setup = json_object_get(side, "setup");
	char e[16];
	size_t n;

	if (!json_is_object(side))
		return "-";
	/* a skip that observed nothing ran nothing: no errno to show */
	if (strcmp(jstr(side, "verdict", ""), "skip") == 0 && !json_is_object(setup) &&
	    !jint(side, "observed", 0))
		return "-/skip";
	n = (size_t)snprintf(buf, len, "%s/%s%s",
		 json_is_string(json_object_get(side, "observed_name")) ?
		 json_string_value(json_object_get(side, "observed_name")) :
		 errname(json_object_get(side, "observed"), e, sizeof(e)),
		 jstr(side, "verdict", "?"), json_is_true(json_object_get(side, "flaky")) ? "~" : "");
	if (json_is_object(setup) && n < len)
		snprintf(buf + n, len - n, " @%s=%s", jstr(setup, "step", "?"),
			 jstr(setup, "errno_name", "?"));
	return buf;
}

/* a row's known issue (server/core/diff_known.h) as a suffix of its CHANGE
 * cell: " [expected: known issue 3]", " [expected failure passed: known
 * issue 3]", or "" */
static const char *known_str(json_t *row, char *buf, size_t len)
{
	json_t *k = json_object_get(row, "known_issue");
	const char *l = jstr(k, "label", "");

	if (!json_is_object(k))
		return "";
	snprintf(buf, len, " [%s: known issue %lld]",
		 !strcmp(l, "expected_passed") ? "expected failure passed" : l, jint(k, "id", 0));
	return buf;
}

/* one line per known issue the rows name: its id and reason; and when a
 * row of it passes again, the command that retires it (the server's, the
 * row's "retire": server/core/diff_known.h) */
static void known_reasons(json_t *rows)
{
	json_t *v, *k, *w, *seen = json_object(), *retire = json_object();
	const char *id;
	char idb[32];
	size_t i;

	json_array_foreach(rows, i, v) {
		k = json_object_get(v, "known_issue");
		if (!json_is_object(k) || !seen || !retire)
			continue;
		snprintf(idb, sizeof(idb), "%lld", jint(k, "id", 0));
		if (json_is_string(json_object_get(k, "retire")))
			json_object_set(retire, idb, json_object_get(k, "retire"));
		if (json_object_get(seen, idb))
			continue;
		json_object_set_new(seen, idb, json_string(jstr(k, "reason", "")));
	}
	json_object_foreach(seen, id, w) {
		printf("known issue %s: %s\n", id, json_string_value(w));
		if (json_object_get(retire, id))
			printf("known issue %s passes again: retire it with: %s\n", id,
			       jstr(retire, id, ""));
	}
	json_decref(seen);
	json_decref(retire);
}

/*
 * Likely commits under a diff (issue 17.4): when both kernels are builds of
 * one git tree at two refs (recipe "tree=/path@ref"), ask the server for the
 * commits touching each regressed row's driver and naming its errno
 * (POST /api/v1/likely) and print the top three; without a token, print the
 * command instead.
 */
static void likely_hint(struct cli *c, const char *k1, const char *k2, json_t *rows)
{
	char path[512], q[256], tree[2][1024] = { "", "" }, *at[2];
	const char *ks[2] = { k1, k2 }, *src;
	json_t *v, *seen = json_object();
	size_t i;

	for (int k = 0; k < 2; k++) {
		json_t *kj;

		qesc(q, sizeof(q), ks[k]);
		snprintf(path, sizeof(path), "/api/v1/kernels/%s", q);
		if (request(c, "GET", path, NULL, &kj, true) != 200)
			goto out;
		src = jstr(kj, "source_ref", "");
		if (!strncmp(src, "tree=/", 6) && !strchr(src, ';'))
			snprintf(tree[k], sizeof(tree[k]), "%s", src + 5);
		json_decref(kj);
		at[k] = strrchr(tree[k], '@');
		if (!at[k])
			goto out;
		*at[k]++ = '\0';
	}
	if (strcmp(tree[0], tree[1]))
		goto out;
	json_array_foreach(rows, i, v) {
		const char *cls = jstr(v, "class", ""), *drv = jstr(v, "driver", "");
		const char *e = jstr(json_object_get(v, "head"), "observed_name", "");
		json_t *req, *r = NULL, *it, *x;
		char key[128];
		size_t j;

		if (strcmp(cls, "errno_changed") && strcmp(cls, "pass_to_fail"))
			continue;
		snprintf(key, sizeof(key), "%s/%s", drv, e);
		if (json_object_get(seen, key) || json_object_size(seen) >= 5)
			continue;
		json_object_set_new(seen, key, json_true());
		printf("likely commits for %s %s: iommulab likely --tree %s --from %s --to %s "
		       "--driver %s%s%s\n", drv, e, tree[0], at[0], at[1], drv,
		       strcmp(e, "OK") && *e ? " --errno " : "", strcmp(e, "OK") ? e : "");
		load_token(c);
		if (!c->token)
			continue;
		req = json_pack("{s:s, s:s, s:s, s:s, s:i}", "tree", tree[0], "from", at[0],
				"to", at[1], "driver", drv, "limit", 3);
		if (req && *e && strcmp(e, "OK"))
			json_object_set_new(req, "errno", json_string(e));
		if (req && request(c, "POST", "/api/v1/likely", req, &r, true) == 200) {
			it = json_object_get(r, "items");
			json_array_foreach(it, j, x)
				printf("  %.12s %s%s\n", jstr(x, "commit", "?"), jstr(x, "subject", ""),
				       json_is_true(json_object_get(x, "mentions_errno")) ?
				       "  (names the errno)" : "");
		}
		json_decref(r);
		json_decref(req);
	}
out:
	json_decref(seen);
}

/* one row of `iommulab diff`; a QEMU change names the two versions */
static void diff_row_print(json_t *v)
{
	json_t *head = json_object_get(v, "head"), *base = json_object_get(v, "base");
	json_t *exp = json_object_get(json_is_object(head) ? head : base, "expected_name");
	json_t *q = json_object_get(v, "qemu");
	char b1[112], b2[112], b3[16], b4[64], cls[160];

	if (json_is_true(json_object_get(v, "qemu_change")))
		snprintf(cls, sizeof(cls), "%s (QEMU %s -> %s)", jstr(v, "class", "?"),
			 jstr(q, "base", "?"), jstr(q, "head", "?"));
	else
		snprintf(cls, sizeof(cls), "%s", jstr(v, "class", "?"));
	printf("%-20s %-13s %-40s %-18s %-18s %-11s %s%s\n", jstr(v, "target", "?"),
	       jstr(v, "driver", "?"), jstr(v, "case", "?"),
	       side_str(base, b1, sizeof(b1)), side_str(head, b2, sizeof(b2)),
	       json_is_string(exp) ? json_string_value(exp) :
	       errname(json_object_get(json_is_object(head) ? head : base, "expected"),
		       b3, sizeof(b3)), cls, known_str(v, b4, sizeof(b4)));
}

int cmd_diff(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "all", no_argument, NULL, 'a' },
		{ "fail-on-regress", no_argument, NULL, 'F' },
		{ "base-target", required_argument, NULL, 'b' },
		{ "head-target", required_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char path[1024], q1[256], q2[256], t1[256] = "", t2[256] = "";
	bool js = false, all = false, fail = false;
	json_t *r, *rows, *v, *sum;
	long long regress, nqemu;
	size_t i;
	int o;

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'j': js = true; break;
		case 'a': all = true; break;
		case 'F': fail = true; break;
		case 'b': qesc(t1, sizeof(t1), optarg); break;
		case 'h': qesc(t2, sizeof(t2), optarg); break;
		default: exit(CLI_USAGE);
		}
	}
	if (optind + 2 != argc || !*t1 != !*t2)
		die_usage("usage: iommulab diff KERNEL1 KERNEL2 [--json] [--all] [--fail-on-regress] "
			  "[--base-target T1 --head-target T2]");
	qesc(q1, sizeof(q1), argv[optind]);
	qesc(q2, sizeof(q2), argv[optind + 1]);
	snprintf(path, sizeof(path), "/api/v1/diffs?base=%s&head=%s&changes_only=%d%s%s%s%s",
		 q1, q2, all ? 0 : 1, *t1 ? "&base_target=" : "", t1, *t2 ? "&head_target=" : "", t2);
	r = get_json(c, path);
	rows = json_object_get(r, "rows");
	sum = json_object_get(r, "summary");
	/* the server's count (diff.h): pass_to_fail, new_crash, new_warning,
	 * missing, a failing setup_changed or errno_changed */
	regress = jint(sum, "regressions", jint(sum, "pass_to_fail", 0));
	nqemu = jint(sum, "qemu_changes", 0);
	if (js) {
		print_json(r);
		json_decref(r);
		return fail && regress ? CLI_FAIL : CLI_OK;
	}
	if (*t1)
		printf("diff %s on %s -> %s on %s (latest complete results per case)\n",
		       argv[optind], jstr(json_object_get(r, "targets"), "base", "?"),
		       argv[optind + 1], jstr(json_object_get(r, "targets"), "head", "?"));
	else
		printf("diff %s -> %s (latest complete results per target and case)\n",
		       argv[optind], argv[optind + 1]);
	printf("%-20s %-13s %-40s %-18s %-18s %-11s %s\n", "TARGET", "DRIVER", "CASE",
	       argv[optind], argv[optind + 1], "EXPECTED", "CHANGE");
	json_array_foreach(rows, i, v)
		if (!json_is_true(json_object_get(v, "qemu_change")))
			diff_row_print(v);
	/* the QEMU changes apart, after the rest: not kernel regressions */
	if (nqemu) {
		printf("QEMU changes, not kernel regressions (the sides ran on different QEMU "
		       "versions): %lld\n", nqemu);
		json_array_foreach(rows, i, v)
			if (json_is_true(json_object_get(v, "qemu_change")))
				diff_row_print(v);
	}
	printf("%zu rows; unchanged %lld, errno changed %lld, pass->fail %lld, "
	       "fail->pass %lld, verdict changed %lld, new %lld, missing %lld, "
	       "setup changed %lld, flaky %lld, new crash %lld, crash fixed %lld, "
	       "new warning %lld; %lld regression%s, %lld QEMU change%s\n",
	       json_array_size(rows), jint(sum, "unchanged", 0), jint(sum, "errno_changed", 0),
	       jint(sum, "pass_to_fail", 0), jint(sum, "fail_to_pass", 0),
	       jint(sum, "verdict_changed", 0), jint(sum, "new", 0), jint(sum, "missing", 0),
	       jint(sum, "setup_changed", 0), jint(sum, "flaky", 0), jint(sum, "new_crash", 0),
	       jint(sum, "crash_fixed", 0), jint(sum, "new_warning", 0), regress,
	       regress == 1 ? "" : "s", nqemu, nqemu == 1 ? "" : "s");
	if (jint(sum, "expected", 0) || jint(sum, "expected_passed", 0))
		printf("%lld expected failure%s (known issues, not regressions), "
		       "%lld expected failure%s passed\n", jint(sum, "expected", 0),
		       jint(sum, "expected", 0) == 1 ? "" : "s", jint(sum, "expected_passed", 0),
		       jint(sum, "expected_passed", 0) == 1 ? "" : "s");
	known_reasons(rows);
	likely_hint(c, argv[optind], argv[optind + 1], rows);
	json_decref(r);
	return fail && regress ? CLI_FAIL : CLI_OK;
}

/* XML text escape to @f */
static void xml_put(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		unsigned char ch = (unsigned char)*s;

		switch (ch) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&apos;", f); break;
		default:
			if (ch < 0x20 && ch != '\n' && ch != '\t')
				fputc('?', f);
			else
				fputc(ch, f);
		}
	}
}

/*
 * JUnit XML: one <testsuite> per job (kernel/target), one <testcase> per
 * result; fail -> <failure>, error -> <error>, skip -> <skipped>. A job
 * that is not complete is one <testcase> with an <error> carrying its reason.
 */
static void export_junit(long plan, json_t *jobs, json_t **res)
{
	size_t i, k;
	json_t *j, *r;
	char b1[16], b2[16];

	printf("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	printf("<testsuites name=\"iommulab plan %ld\">\n", plan);
	json_array_foreach(jobs, i, j) {
		long long nf = 0, ne = 0, ns = 0;
		bool complete = !strcmp(jstr(j, "state", ""), "complete");

		json_array_foreach(res[i], k, r) {
			const char *v = jstr(r, "verdict", "");

			/* a CI counts a kernel report (crash, warn) as a failure too */
			nf += !strcmp(v, "fail") || !strcmp(v, "crash") || !strcmp(v, "warn");
			ne += !strcmp(v, "error");
			ns += !strcmp(v, "skip");
		}
		printf("  <testsuite name=\"");
		xml_put(stdout, jstr(j, "kernel", "?"));
		printf(".");
		xml_put(stdout, jstr(j, "target", "?"));
		printf("\" id=\"%lld\" tests=\"%zu\" failures=\"%lld\" errors=\"%lld\" skipped=\"%lld\">\n",
		       jint(j, "id", 0), complete ? json_array_size(res[i]) : 1, nf,
		       complete ? ne : 1, ns);
		if (!complete) {
			printf("    <testcase classname=\"job\" name=\"job-%lld\">\n"
			       "      <error message=\"job %s\">", jint(j, "id", 0),
			       jstr(j, "state", "?"));
			xml_put(stdout, jstr(j, "reason", ""));
			printf("</error>\n    </testcase>\n");
		}
		json_array_foreach(complete ? res[i] : NULL, k, r) {
			const char *v = jstr(r, "verdict", "");
			const char *why = jstr(r, "reason", "");

			printf("    <testcase classname=\"");
			xml_put(stdout, jstr(r, "driver", "?"));
			printf("\" name=\"");
			xml_put(stdout, jstr(r, "case", "?"));
			if (jint(r, "repeat", 0))
				printf("#%lld", jint(r, "repeat", 0));
			printf("\" time=\"%.6f\">", (double)jint(r, "duration_us", 0) / 1e6);
			snprintf(b1, sizeof(b1), "%s", errname(json_object_get(r, "observed"), b2, sizeof(b2)));
			if (!strcmp(v, "fail") || !strcmp(v, "error") || !strcmp(v, "crash") ||
			    !strcmp(v, "warn")) {
				const char *el = strcmp(v, "error") ? "failure" : "error";

				printf("<%s message=\"observed %s, expected %s%s%s\">", el, b1,
				       errname(json_object_get(r, "expected"), b2, sizeof(b2)),
				       strcmp(v, "fail") && strcmp(v, "error") ? ", kernel " : "",
				       strcmp(v, "fail") && strcmp(v, "error") ? v : "");
				xml_put(stdout, why);
				printf("</%s>", el);
			} else if (!strcmp(v, "skip")) {
				printf("<skipped message=\"");
				xml_put(stdout, why);
				printf("\"/>");
			}
			printf("</testcase>\n");
		}
		printf("  </testsuite>\n");
	}
	printf("</testsuites>\n");
}

/*
 * KCIDB (v4 I/O schema subset): one checkout and one build per kernel
 * ("iommulab:kernel-<name>"), one test per result ("iommulab:<result id>"). Status: pass PASS, fail FAIL,
 * skip SKIP, error ERROR.
 */
static void export_kcidb(long plan, json_t *jobs, json_t **res)
{
	json_t *out = json_object(), *builds = json_array(), *tests = json_array();
	json_t *checkouts = json_array();
	json_t *seen = json_object(), *j, *r;
	size_t i, k;

	json_object_set_new(out, "version", json_pack("{s:i, s:i}", "major", 4, "minor", 0));
	json_array_foreach(jobs, i, j) {
		const char *kernel = jstr(j, "kernel", "?");
		char build_id[160], id[64], path[256];

		snprintf(build_id, sizeof(build_id), "iommulab:kernel-%s", kernel);
		if (!json_object_get(seen, build_id)) {
			json_object_set_new(seen, build_id, json_true());
			json_array_append_new(checkouts, json_pack("{s:s, s:s}",
				"id", build_id, "origin", "iommulab"));
			json_array_append_new(builds, json_pack("{s:s, s:s, s:s, s:{s:s, s:I}}",
				"id", build_id, "origin", "iommulab",
				"checkout_id", build_id,
				"misc", "kernel", kernel, "plan", (json_int_t)plan));
		}
		json_array_foreach(res[i], k, r) {
			const char *v = jstr(r, "verdict", "");
			const char *status = !strcmp(v, "pass") ? "PASS" :
					     !strcmp(v, "fail") ? "FAIL" :
					     !strcmp(v, "skip") ? "SKIP" : "ERROR";

			snprintf(id, sizeof(id), "iommulab:%lld", jint(r, "id", 0));
			snprintf(path, sizeof(path), "iommulab.%s", jstr(r, "case", "?"));
			json_array_append_new(tests, json_pack(
				"{s:s, s:s, s:s, s:s, s:s, s:{s:s, s:s, s:I, s:o, s:I}}",
				"id", id, "build_id", build_id, "origin", "iommulab",
				"path", path, "status", status,
				"misc", "target", jstr(r, "target", "?"),
				"driver", jstr(r, "driver", "?"),
				"observed", (json_int_t)jint(r, "observed", 0),
				"expected", json_incref(json_object_get(r, "expected") ?
							json_object_get(r, "expected") : json_null()),
				"job", (json_int_t)jint(r, "job_id", 0)));
		}
	}
	json_object_set_new(out, "checkouts", checkouts);
	json_object_set_new(out, "builds", builds);
	json_object_set_new(out, "tests", tests);
	print_json(out);
	json_decref(out);
	json_decref(seen);
}

int cmd_export(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "plan", required_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 },
	};
	const char *fmt;
	char path[256];
	json_t *jobs, **res, *j;
	long plan = 0;
	size_t i;
	int o;

	if (argc < 2 || argv[1][0] == '-')
		die_usage("usage: iommulab export junit|kcidb --plan N");
	fmt = argv[1];
	if (strcmp(fmt, "junit") && strcmp(fmt, "kcidb"))
		die_usage("export format is junit or kcidb, not '%s'", fmt);
	argc--;
	argv++;
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'p': plan = parse_long("--plan", optarg, 1, LONG_MAX); break;
		default: exit(CLI_USAGE);
		}
	}
	if (!plan)
		die_usage("export needs --plan N");
	snprintf(path, sizeof(path), "/api/v1/plans/%ld", plan);
	json_decref(get_json(c, path));	/* 404 for an unknown plan */
	snprintf(path, sizeof(path), "/api/v1/jobs?plan=%ld", plan);
	jobs = get_all(c, path, 1000000);
	res = calloc(json_array_size(jobs) + 1, sizeof(*res));
	if (!res) {
		fprintf(stderr, "iommulab: out of memory\n");
		return CLI_FAIL;
	}
	json_array_foreach(jobs, i, j) {
		snprintf(path, sizeof(path), "/api/v1/results?job=%lld", jint(j, "id", 0));
		res[i] = get_all(c, path, 10000000);
	}
	if (!strcmp(fmt, "junit"))
		export_junit(plan, jobs, res);
	else
		export_kcidb(plan, jobs, res);
	for (i = 0; i < json_array_size(jobs); i++)
		json_decref(res[i]);
	free(res);
	json_decref(jobs);
	return CLI_OK;
}
