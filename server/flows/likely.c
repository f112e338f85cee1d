/* SPDX-License-Identifier: GPL-2.0 */
/*
 * likely.c - likely commits between two refs for a driver and an errno
 * (contract in likely.h).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gitrun.h"
#include "likely.h"
#include "model.h"

#define PATHS_MAX 16

struct paths {
	char buf[2048];
	const char *drv[PATHS_MAX], *core[PATHS_MAX];
	int ndrv, ncore;
};

/* @driver's and the core's paths from kernels/driver-paths.txt */
static int paths_load(const struct lab_config *cfg, const char *driver, struct paths *p,
		      char *err, size_t errlen)
{
	char file[PATH_MAX], line[512], known[512] = "";
	size_t used = 0, kl = 0;
	FILE *f;

	memset(p, 0, sizeof(*p));
	if ((size_t)snprintf(file, sizeof(file), "%s/kernels/driver-paths.txt", cfg->top) >=
	    sizeof(file))
		return -ENAMETOOLONG;
	f = fopen(file, "re");
	if (!f) {
		snprintf(err, errlen, "cannot read %s", file);
		return -EIO;
	}
	while (fgets(line, sizeof(line), f)) {
		char *save = NULL, *name = strtok_r(line, " \t\r\n", &save), *w;
		bool is_drv, is_core;

		if (!name || name[0] == '#')
			continue;
		is_drv = !strcmp(name, driver);
		is_core = !strcmp(name, "core");
		if (!is_core && kl < sizeof(known))
			kl += snprintf(known + kl, sizeof(known) - kl, "%s%s", kl ? ", " : "", name);
		if (!is_drv && !is_core)
			continue;
		while ((w = strtok_r(NULL, " \t\r\n", &save))) {
			size_t n = strlen(w) + 1;

			if (used + n > sizeof(p->buf) || (is_drv ? p->ndrv : p->ncore) >= PATHS_MAX)
				break;
			memcpy(p->buf + used, w, n);
			if (is_drv)
				p->drv[p->ndrv++] = p->buf + used;
			else
				p->core[p->ncore++] = p->buf + used;
			used += n;
		}
	}
	fclose(f);
	if (!strcmp(driver, "core") || !p->ndrv) {
		snprintf(err, errlen, "\"driver\": '%.64s' is not a driver of %s (%s)", driver,
			 "kernels/driver-paths.txt", known);
		return -EINVAL;
	}
	return 0;
}

/* git log over @range of @paths (-G @re when given): "H\tsubject\tauthor\tdate" lines */
static int log_lines(const char *tree, const char *range, const char *re,
		     const char *const *paths, int npaths, char **out)
{
	const char *argv[12 + PATHS_MAX];
	char gre[96];
	int n = 0;

	argv[n++] = "git";
	argv[n++] = "-C";
	argv[n++] = tree;
	argv[n++] = "log";
	argv[n++] = "--no-merges";
	argv[n++] = "--format=%H%x09%s%x09%an <%ae>%x09%aI";
	if (re) {
		snprintf(gre, sizeof(gre), "-G%s", re);
		argv[n++] = gre;
	}
	argv[n++] = range;
	argv[n++] = "--";
	for (int i = 0; i < npaths; i++)
		argv[n++] = paths[i];
	argv[n] = NULL;
	return lab_git_run(argv, false, LAB_GIT_OUT_MAX, out) ? -EIO : 0;
}

static bool has_commit(const char *lines, const char *sha)
{
	for (const char *p = lines; p && (p = strstr(p, sha)); p += 40)
		if ((p == lines || p[-1] == '\n') && p[40] == '\t')
			return true;
	return false;
}

int lab_likely(const struct lab_config *cfg, const char *tree, const char *from,
	       const char *to, const char *driver, const char *errno_name, size_t limit,
	       json_t **out, char *err, size_t errlen)
{
	char real[PATH_MAX], fsha[41], tsha[41], range[90], re[64];
	char *drv_all = NULL, *core_all = NULL, *drv_e = NULL, *core_e = NULL;
	json_t *items = NULL, *res = NULL, *pd, *pc;
	struct paths p;
	size_t total = 0;
	int ret, e = -1;

	if (!driver || !*driver || strlen(driver) > 64)
		return snprintf(err, errlen, "\"driver\" is required"), -EINVAL;
	if (errno_name) {
		for (int i = 0; i < 4096 && e < 0; i++)
			if (lab_errno_name(i) && !strcmp(lab_errno_name(i), errno_name))
				e = i;
		if (e <= 0)
			return snprintf(err, errlen, "\"errno\": '%.32s' is not an errno name "
					"(EINVAL, ENODEV, ...)", errno_name), -EINVAL;
	}
	ret = lab_git_tree_check("tree", tree, real, err, errlen);
	if (!ret)
		ret = lab_git_resolve(real, "from", from, fsha, err, errlen);
	if (!ret)
		ret = lab_git_resolve(real, "to", to, tsha, err, errlen);
	if (!ret)
		ret = paths_load(cfg, driver, &p, err, errlen);
	if (ret)
		return ret;
	snprintf(range, sizeof(range), "%s..%s", fsha, tsha);
	/* the errno as a word: its name is [A-Z0-9] only (model.h), safe in a regex */
	if (errno_name)
		snprintf(re, sizeof(re), "\\b%s\\b", errno_name);
	ret = log_lines(real, range, NULL, p.drv, p.ndrv, &drv_all);
	if (!ret)
		ret = log_lines(real, range, NULL, p.core, p.ncore, &core_all);
	if (!ret && errno_name)
		ret = log_lines(real, range, re, p.drv, p.ndrv, &drv_e);
	if (!ret && errno_name)
		ret = log_lines(real, range, re, p.core, p.ncore, &core_e);
	if (ret) {
		snprintf(err, errlen, "git log failed in %.200s", real);
		goto out;
	}
	items = json_array();
	/* by rank, newest first within each: four passes over the driver's
	 * and the core's logs (a commit in both is taken from the driver's) */
	for (int rank = 3; rank >= 0 && items; rank--) {
		for (int side = 0; side < 2; side++) {
			char *copy = strdup(side ? (core_all ? core_all : "") :
					    (drv_all ? drv_all : "")), *save = NULL, *l;

			for (l = copy ? strtok_r(copy, "\n", &save) : NULL; l;
			     l = strtok_r(NULL, "\n", &save)) {
				char *f[4] = { l, NULL, NULL, NULL };
				bool d, c, m;
				int r;

				for (int i = 1; i < 4; i++) {
					f[i] = f[i - 1] ? strchr(f[i - 1], '\t') : NULL;
					if (f[i])
						*f[i]++ = '\0';
				}
				if (!lab_git_sha_ok(f[0]))
					continue;
				d = has_commit(drv_all, f[0]);
				c = has_commit(core_all, f[0]);
				if (side && d)
					continue;	/* listed with the driver's */
				m = has_commit(drv_e, f[0]) || has_commit(core_e, f[0]);
				r = d && m ? 3 : c && m ? 2 : d ? 1 : 0;
				if (r != rank)
					continue;
				total++;
				if (json_array_size(items) < limit)
					json_array_append_new(items, json_pack("{s:s, s:s?, s:s?, s:s?, "
						"s:b, s:b, s:b, s:i}", "commit", f[0], "subject", f[1],
						"author", f[2], "date", f[3], "driver_files", d,
						"core_files", c, "mentions_errno", m, "rank", r));
			}
			free(copy);
		}
	}
	pd = json_array();
	pc = json_array();
	for (int i = 0; i < p.ndrv; i++)
		json_array_append_new(pd, json_string(p.drv[i]));
	for (int i = 0; i < p.ncore; i++)
		json_array_append_new(pc, json_string(p.core[i]));
	res = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s?, s:{s:o, s:o}, s:I, s:o}",
			"tree", real, "from", from, "to", to, "from_commit", fsha,
			"to_commit", tsha, "driver", driver, "errno", errno_name,
			"paths", "driver", pd, "core", pc, "total", (json_int_t)total,
			"items", items);
	items = NULL;
	ret = res ? 0 : -ENOMEM;
	*out = res;
out:
	json_decref(items);
	free(drv_all);
	free(core_all);
	free(drv_e);
	free(core_e);
	return ret;
}
