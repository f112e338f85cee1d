/* SPDX-License-Identifier: GPL-2.0 */
/*
 * patch.c - per-patch validation: submission (series on disk, two build
 * kernels, one plan) and the per-driver report. Contract in patch.h.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "artifacts.h"
#include "auth.h"
#include "dashurl.h"
#include "diff.h"
#include "diff_known.h"
#include "flowutil.h"
#include "gitrun.h"
#include "joblogs.h"
#include "log.h"
#include "match.h"
#include "names.h"
#include "patch.h"
#include "plan.h"
#include "views.h"

#define PATCH_DIR "patches"
#define NAME_MAX_LEN 64

/* ---- the series on disk --------------------------------------------------- */

/* snprintf for paths: -ENAMETOOLONG instead of a silently cut path */
static int pathf(char *buf, size_t n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int pathf(char *buf, size_t n, const char *fmt, ...)
{
	va_list ap;
	int len;

	va_start(ap, fmt);
	len = vsnprintf(buf, n, fmt, ap);
	va_end(ap);
	return len < 0 || (size_t)len >= n ? -ENAMETOOLONG : 0;
}

static int write_file(const char *path, const char *data, size_t len)
{
	int fd, ret = 0;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	while (len) {
		ssize_t w = write(fd, data, len);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			break;
		}
		data += w;
		len -= (size_t)w;
	}
	if (close(fd) && !ret)
		ret = -errno;
	return ret;
}

/* remove a temp series dir (flat: files only) */
static void rm_flat_dir(const char *dir, json_t *names)
{
	char p[PATH_MAX];
	size_t i;
	json_t *v;

	if (!pathf(p, sizeof(p), "%s/series.mbox", dir))
		unlink(p);
	if (!pathf(p, sizeof(p), "%s/series", dir))
		unlink(p);
	json_array_foreach(names, i, v) {
		if (!pathf(p, sizeof(p), "%s/%s", dir, lab_flow_str(v, "name")))
			unlink(p);
	}
	rmdir(dir);
}

/* the subject of the first mail (or the first file name) */
static void first_subject(const char *text, char *out, size_t n)
{
	const char *s = text ? strstr(text, "\nSubject: ") : NULL;
	size_t len;

	if (text && !strncmp(text, "Subject: ", 9))
		s = text - 1;
	if (!s) {	/* a plain diff: name the first file it changes */
		const char *f = text ? strstr(text, "+++ b/") : NULL;

		if (f)
			snprintf(out, n, "a diff of %.*s", (int)strcspn(f + 6, " \t\r\n"), f + 6);
		else
			snprintf(out, n, "(no subject)");
		for (size_t i = 0; out[i]; i++)
			if ((unsigned char)out[i] < 0x20 || out[i] == 0x7f)
				out[i] = ' ';
		return;
	}
	s += 10;
	len = 0;
	/* RFC 5322 folding: a line starting with white space continues it */
	while (*s && len + 1 < n) {
		if (*s == '\r' || *s == '\n') {
			const char *nx = s + (s[0] == '\r' && s[1] == '\n' ? 2 : 1);

			if (*nx != ' ' && *nx != '\t')
				break;
			s = nx;
			while (*s == ' ' || *s == '\t')
				s++;
			out[len++] = ' ';
			continue;
		}
		out[len++] = (unsigned char)*s < 0x20 || *s == 0x7f ? ' ' : *s;
		s++;
	}
	out[len] = '\0';
}

/*
 * The "base-commit: SHA" line of @t (as `b4 am` and `git format-patch
 * --base` write it: after the cover letter's or the last patch's
 * signature) into @bc (7-40 hex, lowercase); a second line naming another
 * commit is -EINVAL.
 */
static int base_commit_scan(const char *t, char bc[41], char *err, size_t errlen)
{
	static const char key[] = "base-commit: ";

	for (const char *p = t; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		char one[41];
		size_t n = 0;

		if (strncmp(p, key, sizeof(key) - 1))
			continue;
		p += sizeof(key) - 1;
		while (n < 40 && strchr("0123456789abcdefABCDEF", p[n]) && p[n])
			n++;
		if (n < 7 || (p[n] && p[n] != '\n' && p[n] != '\r' && p[n] != ' '))
			return lab_flow_errf(err, errlen, -EINVAL, "the series' base-commit line "
					     "names no commit id (7-40 hex digits)");
		for (size_t i = 0; i < n; i++)
			one[i] = (char)(p[i] >= 'A' && p[i] <= 'F' ? p[i] - 'A' + 'a' : p[i]);
		one[n] = '\0';
		if (bc[0] && strcmp(bc, one))
			return lab_flow_errf(err, errlen, -EINVAL, "the series names two base commits "
					     "(%s, %s)", bc, one);
		memcpy(bc, one, n + 1);
	}
	return 0;
}

/* the series' base commit (mbox text or [{name, text}]) into @bc, "" none */
static int base_commit_of(json_t *v, char bc[41], char *err, size_t errlen)
{
	size_t i;
	json_t *e;
	int r = 0;

	bc[0] = '\0';
	if (json_is_string(v))
		return base_commit_scan(json_string_value(v), bc, err, errlen);
	json_array_foreach(v, i, e)
		r = r ?: base_commit_scan(lab_flow_str(e, "text"), bc, err, errlen);
	return r;
}

/*
 * A series, checked and named but not yet written: its sha256, first
 * subject, format, the path kernels/build takes (STATE/patches/<sha16>/...)
 * and whether that directory is there already (the same series before).
 */
struct series {
	json_t *v;		/* the request's "series" (borrowed) */
	char sha[65];
	char subject[160];
	const char *format;	/* "mbox" or "dir" */
	char top[PATH_MAX];	/* STATE/patches */
	char dir[PATH_MAX];	/* STATE/patches/<sha16> */
	char tmp[PATH_MAX];	/* where it is written before the commit */
	char path[PATH_MAX];	/* the file or directory the recipe names */
	char *list;		/* "series" file of a directory series */
	size_t listlen;
	bool exists;		/* dir is there: nothing to write */
	bool written;		/* tmp holds it */
	bool renamed;		/* tmp became dir in this request */
};

/* validate @v (mbox text or [{name, text}]) and name it; writes nothing */
static int series_check(const struct lab_config *cfg, json_t *v, struct series *s,
			char *err, size_t errlen)
{
	char *cat = NULL;
	size_t total = 0, catlen = 0, i;
	FILE *cf, *lf;
	struct stat sb;
	json_t *e;
	int ret;

	memset(s, 0, sizeof(*s));
	s->v = v;
	if (json_is_string(v)) {
		const char *t = json_string_value(v);

		total = json_string_length(v);
		if (total == 0 || strlen(t) != total)
			return lab_flow_errf(err, errlen, -EINVAL, "\"series\" is empty or holds a NUL byte");
		if (strncmp(t, "--- ", 4) && strncmp(t, "diff ", 5) &&
		    !strstr(t, "\n--- ") && !strstr(t, "\ndiff "))
			return lab_flow_errf(err, errlen, -EINVAL, "\"series\" holds no diff");
		s->format = "mbox";
	} else if (json_is_array(v) && json_array_size(v) > 0 && json_array_size(v) <= 200) {
		json_array_foreach(v, i, e) {
			json_t *t = json_object_get(e, "text");
			char why[300];

			if (!json_is_object(e) || json_object_size(e) != 2 || !json_is_string(t) ||
			    strlen(json_string_value(t)) != json_string_length(t) ||
			    !json_is_string(json_object_get(e, "name")))
				return lab_flow_errf(err, errlen, -EINVAL, "series[%zu] must be {\"name\": "
					    "\"NNNN-x.patch\", \"text\": \"...\"}", i);
			if (lab_name_check(LAB_NAME_PATCH_FILE, NULL, lab_flow_str(e, "name"), why,
					   sizeof(why)))
				return lab_flow_errf(err, errlen, -EINVAL, "series[%zu]: %s", i, why);
			total += json_string_length(t);
		}
		s->format = "dir";
	} else {
		return lab_flow_errf(err, errlen, -EINVAL, "\"series\" must be mbox text or an array "
			    "of {name, text} (1-200 patches)");
	}
	if (total > LAB_PATCH_SERIES_MAX)
		return lab_flow_errf(err, errlen, -EINVAL, "series larger than %u bytes",
			    LAB_PATCH_SERIES_MAX);

	/* the content hash: names and texts in order */
	cf = open_memstream(&cat, &catlen);
	lf = open_memstream(&s->list, &s->listlen);
	if (!cf || !lf) {
		if (cf)
			fclose(cf);
		free(cat);
		return -ENOMEM;
	}
	if (json_is_string(v)) {
		fputs(json_string_value(v), cf);
	} else {
		json_array_foreach(v, i, e) {
			fprintf(cf, "%s\n%zu\n%s", lab_flow_str(e, "name"),
				strlen(lab_flow_str(e, "text")), lab_flow_str(e, "text"));
			fprintf(lf, "%s\n", lab_flow_str(e, "name"));
		}
	}
	fclose(cf);
	fclose(lf);
	ret = lab_auth_sha256_hex(cat, catlen, s->sha);
	free(cat);
	if (ret)
		return ret;
	first_subject(json_is_string(v) ? json_string_value(v) :
		      lab_flow_str(json_array_get(v, 0), "text"), s->subject, sizeof(s->subject));
	if (!strcmp(s->subject, "(no subject)") && json_is_array(v))
		snprintf(s->subject, sizeof(s->subject), "%s", lab_flow_str(json_array_get(v, 0), "name"));
	if (pathf(s->top, sizeof(s->top), "%s/" PATCH_DIR, cfg->state_dir) ||
	    pathf(s->dir, sizeof(s->dir), "%s/%.16s", s->top, s->sha) ||
	    pathf(s->tmp, sizeof(s->tmp), "%s/.tmp-%.16s-%d-%lx", s->top, s->sha, (int)getpid(),
		  (unsigned long)pthread_self()) ||
	    pathf(s->path, sizeof(s->path), json_is_string(v) ? "%s/series.mbox" : "%s", s->dir))
		return lab_flow_errf(err, errlen, -EIO, "state dir path too long");
	s->exists = stat(s->dir, &sb) == 0;
	return 0;
}

static void series_clear(struct series *s)
{
	free(s->list);
	s->list = NULL;
}

/* write the series under its temp name (nothing when it exists already) */
static int series_write(struct series *s, char *err, size_t errlen)
{
	char p[PATH_MAX];
	size_t i;
	json_t *e;
	int ret;

	if (s->exists)
		return 0;
	if (mkdir(s->top, 0755) && errno != EEXIST)
		return lab_flow_errf(err, errlen, -EIO, "cannot create %s: %s", s->top, strerror(errno));
	if (mkdir(s->tmp, 0755))
		return lab_flow_errf(err, errlen, -EIO, "cannot create %s: %s", s->tmp, strerror(errno));
	s->written = true;
	if (json_is_string(s->v)) {
		ret = pathf(p, sizeof(p), "%s/series.mbox", s->tmp) ?:
		      write_file(p, json_string_value(s->v), json_string_length(s->v));
	} else {
		ret = pathf(p, sizeof(p), "%s/series", s->tmp) ?: write_file(p, s->list, s->listlen);
		json_array_foreach(s->v, i, e) {
			if (ret)
				break;
			ret = pathf(p, sizeof(p), "%s/%s", s->tmp, lab_flow_str(e, "name")) ?:
			      write_file(p, lab_flow_str(e, "text"), strlen(lab_flow_str(e, "text")));
		}
	}
	if (ret)
		return lab_flow_errf(err, errlen, -EIO, "cannot store the series: %s", strerror(-ret));
	return 0;
}

/* the temp name becomes the real one (a concurrent equal series may win) */
static int series_rename(struct series *s, char *err, size_t errlen)
{
	if (!s->written)
		return 0;
	if (rename(s->tmp, s->dir) == 0) {
		s->written = false;
		s->renamed = true;
		return 0;
	}
	if (errno == EEXIST || errno == ENOTEMPTY)
		return 0;	/* the same content is there: ours goes */
	return lab_flow_errf(err, errlen, -EIO, "cannot store the series: %s", strerror(errno));
}

/* a failed or finished request leaves no temp dir; a failed one no new dir */
static void series_cleanup(struct series *s, bool failed)
{
	if (s->written)
		rm_flat_dir(s->tmp, json_is_array(s->v) ? s->v : NULL);
	if (failed && s->renamed)
		rm_flat_dir(s->dir, json_is_array(s->v) ? s->v : NULL);
	s->written = s->renamed = false;
}

/* ---- submission ----------------------------------------------------------- */

/* a kernel name from @prefix and @s: [A-Za-z0-9._+-], at most 64 bytes */
static void kernel_name(char *out, size_t n, const char *prefix, const char *s,
			const char *sha)
{
	size_t len;

	snprintf(out, n, "%s%s", prefix, s);
	len = strlen(out);
	for (size_t i = strlen(prefix); i < len; i++) {
		unsigned char c = (unsigned char)out[i];

		if (!(c >= 'a' && c <= 'z') && !(c >= 'A' && c <= 'Z') &&
		    !(c >= '0' && c <= '9') && c != '.' && c != '_' && c != '-' && c != '+')
			out[i] = '_';
	}
	if (len > NAME_MAX_LEN || (out[strlen(prefix)] == '_' && sha))
		snprintf(out, n, "%s%.12s", prefix, sha);
}

/*
 * A build kernel the submission needs: 0 when it is registered with
 * @recipe (*@have set) or free to register (*@have clear), -EEXIST when
 * the name holds another recipe. Writes nothing.
 */
static int kernel_check(struct lab_store *st, const char *name, const char *recipe,
			bool *have, char *err, size_t errlen)
{
	struct lab_kernel old = { 0 };
	int ret;

	*have = false;
	ret = lab_store_kernel_get(st, name, &old);
	if (ret == -ENOENT)
		return 0;
	if (ret)
		return ret;
	*have = old.source && !strcmp(old.source, "build") && old.source_ref &&
		!strcmp(old.source_ref, recipe);
	lab_kernel_clear(&old);
	return *have ? 0 : lab_flow_errf(err, errlen, -EEXIST, "kernel '%s' exists with another recipe",
				name);
}

static int kernel_register(struct lab_store *st, const char *name, const char *recipe)
{
	struct lab_kernel k = {
		.name = (char *)name,
		.arch = "x86_64",	/* the only arch kernels/lab.config is written for */
		.source = "build",
		.source_ref = (char *)recipe,
	};

	return lab_store_kernel_put(st, &k);
}

/*
 * The base: a registered build kernel with an unpatched recipe, or a tree
 * (then @recipe is what to register it with, else ""). Writes nothing.
 */
static int base_resolve(struct lab_store *st, const char *base, char *name,
			size_t nlen, char *tree, size_t tlen, char *recipe, size_t rlen,
			char *err, size_t errlen)
{
	char patches[1032], sha[65], why[300];
	struct lab_kernel k = { 0 };
	bool have;
	int ret;

	*recipe = '\0';
	ret = lab_store_kernel_get(st, base, &k);
	if (!ret) {
		ret = lab_artifacts_recipe(&k, tree, tlen, patches, sizeof(patches));
		lab_kernel_clear(&k);
		if (ret)
			return lab_flow_errf(err, errlen, -EINVAL, "base kernel '%s' is not one the lab "
				    "builds (source \"build\" with a tree= recipe)", base);
		if (*patches)
			return lab_flow_errf(err, errlen, -EINVAL, "base kernel '%s' carries patches "
				    "already: give its tree instead", base);
		snprintf(name, nlen, "%s", base);
		return 0;
	}
	if (ret != -ENOENT)
		return ret;
	/* not a registered kernel: a tree, by the one name rule */
	if (lab_name_check(LAB_NAME_TREE, "\"base\"", base, why, sizeof(why)))
		return lab_flow_errf(err, errlen, -EINVAL, "\"base\" must be a registered build kernel, "
			    "debian-6.12 or /abs/git/checkout[@ref]: %s", why);
	k.source = "build";
	snprintf(recipe, rlen, "tree=%.520s", base);
	k.source_ref = recipe;
	if (lab_artifacts_recipe(&k, tree, tlen, patches, sizeof(patches)))
		return lab_flow_errf(err, errlen, -EINVAL, "\"base\" must be a registered build kernel, "
			    "debian-6.12 or /abs/git/checkout[@ref]");
	if (strcmp(tree, "debian-6.12") && tree[0] != '/')
		return lab_flow_errf(err, errlen, -EINVAL, "\"base\" tree must be debian-6.12 or an "
			    "absolute path to a git checkout");
	ret = lab_auth_sha256_hex(tree, strlen(tree), sha);
	if (ret)
		return ret;
	kernel_name(name, nlen, "base-", tree, sha);
	ret = kernel_check(st, name, recipe, &have, err, errlen);
	if (!ret && have)
		*recipe = '\0';		/* registered before */
	return ret;
}

/*
 * Everything is checked before anything is written; then the series goes
 * to a temp directory, and the two kernels and the plan are written in one
 * transaction; the series directory gets its name before the commit and
 * loses it again if the commit fails. A refused submission leaves no row
 * and no file behind.
 */
int lab_patch_submit(struct lab_store *st, const struct lab_config *cfg,
		     json_t *req, const char *created_by, json_t **out,
		     char *err, size_t errlen)
{
	static const char *const allowed[] = { "name", "base", "series", "targets",
		"cases", "repeat", "priority", "timeout_s", NULL };
	char bname[NAME_MAX_LEN + 8], hname[NAME_MAX_LEN + 8], tree[520];
	char hsha[65], base_recipe[600], recipe[PATH_MAX + 600], bc[41], bc_full[41] = "";
	char *key_buf = NULL;
	const char *base, *key;
	json_t *plan, *spec, *v, *created;
	struct series s = { 0 };
	bool have_head;
	int64_t plan_id;
	int njobs, ret;

	if (!json_is_object(req))
		return lab_flow_errf(err, errlen, -EINVAL, "a patch submission is a JSON object");
	json_object_foreach(req, key, v) {
		bool ok = false;

		for (int i = 0; allowed[i]; i++)
			ok |= !strcmp(key, allowed[i]);
		if (!ok)
			return lab_flow_errf(err, errlen, -EINVAL, "unknown key \"%.64s\" (allowed: name, "
				    "base, series, targets, cases, repeat, priority, timeout_s)", key);
	}
	base = json_string_value(json_object_get(req, "base"));
	if (!base || !*base)
		return lab_flow_errf(err, errlen, -EINVAL, "\"base\" (kernel name or tree) is required");
	v = json_object_get(req, "name");
	if (v && !json_is_null(v) && !lab_name_ok(LAB_NAME_PLAN, json_string_value(v)))
		return lab_flow_errf(err, errlen, -EINVAL, "\"name\": %s", lab_name_rule(LAB_NAME_PLAN));
	/* plain target names are checked before anything is registered or
	 * written (match expressions are checked by the plan itself) */
	v = json_object_get(req, "targets");
	if (v && !json_is_array(v))
		return lab_flow_errf(err, errlen, -EINVAL, "\"targets\" must be an array of names");
	for (size_t i = 0; i < json_array_size(v); i++) {
		const char *t = json_string_value(json_array_get(v, i));
		struct lab_target tg = { 0 };

		if (!t)
			return lab_flow_errf(err, errlen, -EINVAL, "\"targets\" must be an array of names");
		if (strpbrk(t, "=*?[,") || lab_store_target_get(st, t, &tg) == 0) {
			lab_target_clear(&tg);
			continue;
		}
		if (!lab_name_ok(LAB_NAME_TARGET, t))
			return lab_flow_errf(err, errlen, -EINVAL, "\"targets\"[%zu]: target name '%.64s' "
				    "refused: %s", i, t, lab_name_rule(LAB_NAME_TARGET));
		return lab_flow_errf(err, errlen, -ENOENT, "unknown target '%.64s'", t);
	}
	ret = base_resolve(st, base, bname, sizeof(bname), tree, sizeof(tree), base_recipe,
			   sizeof(base_recipe), err, errlen);
	if (ret)
		return ret;
	ret = series_check(cfg, json_object_get(req, "series"), &s, err, errlen);
	if (ret)
		goto clear_series;
	ret = base_commit_of(s.v, bc, err, errlen);
	if (ret)
		goto clear_series;
	/* a git tree: the series goes on its base commit, and so does the base */
	if (bc[0] && tree[0] == '/') {
		char path[sizeof(tree)], at[sizeof(tree) + 48], why[300];

		snprintf(path, sizeof(path), "%.*s", (int)strcspn(tree, "@"), tree);
		if (lab_git_resolve(path, "base-commit", bc, bc_full, why, sizeof(why))) {
			ret = lab_flow_errf(err, errlen, -EINVAL, "the series' base-commit %s is not a "
					    "commit of the tree %s: fetch it into that tree, or submit "
					    "against a base that has it", bc, path);
			goto clear_series;
		}
		snprintf(at, sizeof(at), "%s@%s", path, bc_full);
		ret = base_resolve(st, at, bname, sizeof(bname), tree, sizeof(tree), base_recipe,
				   sizeof(base_recipe), err, errlen);
		if (ret)
			goto clear_series;
	} else if (bc[0]) {
		lab_info("patch: the series' base-commit %s is not applied: %s is not a git tree",
			 bc, tree);
	}

	/* the candidate: one per (tree, series) */
	if (asprintf(&key_buf, "%s\n%s", tree, s.sha) < 0) {
		ret = -ENOMEM;
		goto clear_series;
	}
	ret = lab_auth_sha256_hex(key_buf, strlen(key_buf), hsha);
	free(key_buf);
	if (ret)
		goto clear_series;
	snprintf(hname, sizeof(hname), "patch-%.12s", hsha);
	snprintf(recipe, sizeof(recipe), "tree=%s;patches=%s", tree, s.path);
	ret = kernel_check(st, hname, recipe, &have_head, err, errlen);
	if (ret)
		goto clear_series;

	/* the candidate's job first: a series that does not apply or build
	 * shows at once (its preparation builds the base first anyway) */
	v = json_object_get(req, "name");
	plan = json_pack("{s:s, s:s, s:[s,s], s:i}", "kind", "patch",
			 "name", v && json_is_string(v) ? json_string_value(v) : s.subject,
			 "kernels", hname, bname, "max_attempts", 1);
	spec = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s?, s:b}", "base", bname, "head", hname,
			 "tree", tree, "series", s.sha, "subject", s.subject, "format", s.format,
			 "base_commit", bc[0] ? (bc_full[0] ? bc_full : bc) : NULL,
			 "base_commit_applied", bc_full[0] != '\0');
	if (!plan || !spec || json_object_set_new(plan, "patch", spec)) {
		json_decref(plan);
		ret = -ENOMEM;
		goto clear_series;
	}
	for (const char *const *k = allowed + 3; *k; k++)
		if ((v = json_object_get(req, *k)))
			json_object_set(plan, *k, v);

	/* the writes: files under a temp name, rows in one transaction */
	ret = series_write(&s, err, errlen);
	if (ret)
		goto put_plan;
	ret = lab_store_tx_begin(st);
	if (ret)
		goto put_plan;
	if (*base_recipe && (ret = kernel_register(st, bname, base_recipe)))
		goto rollback;
	if (!have_head && (ret = kernel_register(st, hname, recipe)))
		goto rollback;
	ret = lab_store_plan_create_in_tx(st, plan, created_by, &plan_id, &njobs, err, errlen);
	if (ret)
		goto rollback;
	ret = series_rename(&s, err, errlen);
	if (ret)
		goto rollback;
	ret = lab_store_tx_commit(st);
	if (ret)
		goto rollback;
	json_decref(plan);
	series_cleanup(&s, false);
	series_clear(&s);
	if (*base_recipe)
		lab_info("patch: kernel %s registered (%s)", bname, base_recipe);
	if (!have_head)
		lab_info("patch: kernel %s registered (%s)", hname, recipe);
	ret = lab_store_plan_json(st, plan_id, &created);
	if (ret)
		return ret;
	json_object_set_new(created, "njobs", json_integer(njobs));
	lab_info("patch: plan %lld \"%s\": %s vs %s, %d jobs", (long long)plan_id,
		 s.subject, bname, hname, njobs);
	*out = created;
	return 0;
rollback:
	lab_store_tx_rollback(st);
put_plan:
	json_decref(plan);
clear_series:
	series_cleanup(&s, true);
	series_clear(&s);
	return ret;
}

/* ---- report --------------------------------------------------------------- */

static bool verdict_is(json_t *side, const char *v)
{
	return side && json_is_object(side) && !strcmp(lab_flow_str(side, "verdict"), v);
}

static bool failing(json_t *side)
{
	return verdict_is(side, "fail") || verdict_is(side, "error");
}

/* "intel-iommu: 1 contract violation, 2 errno changes" */
static void describe(json_t *d, char *buf, size_t n)
{
	static const struct { const char *key, *one, *many; } parts[] = {
		{ "new_crashes", "new crash", "new crashes" },
		{ "new_warnings", "new kernel warning", "new kernel warnings" },
		{ "missing", "missing case", "missing cases" },
		{ "contract_violations", "contract violation", "contract violations" },
		{ "new_failures", "new failure", "new failures" },
		{ "setup_changes", "setup step change", "setup step changes" },
		{ "crashes_fixed", "crash fixed", "crashes fixed" },
		{ "new_passes", "new pass", "new passes" },
		{ "errno_changes", "errno change", "errno changes" },
		{ "other_changes", "other change", "other changes" },
		{ "inconsistent", "inconsistent (flaky) change", "inconsistent (flaky) changes" },
		{ "qemu_changes", "QEMU change (not a kernel regression)",
		  "QEMU changes (not kernel regressions)" },
		{ "expected_failures", "expected failure (known issue)",
		  "expected failures (known issues)" },
		{ "expected_passed", "expected failure passed", "expected failures passed" },
	};
	size_t used = 0, k;

	buf[0] = '\0';
	for (k = 0; k < sizeof(parts) / sizeof(parts[0]); k++) {
		size_t c = json_array_size(json_object_get(d, parts[k].key));

		if (!c)
			continue;
		used += snprintf(buf + used, used < n ? n - used : 0, "%s%zu %s",
				 used ? ", " : "", c, c == 1 ? parts[k].one : parts[k].many);
	}
	if (!used)
		snprintf(buf, n, "no change in %lld cases",
			 (long long)json_integer_value(json_object_get(d, "unchanged")));
	if (json_integer_value(json_object_get(d, "preexisting_failures")) > 0 && used < n)
		snprintf(buf + strlen(buf), n - strlen(buf), " (%lld failing before the series too)",
			 (long long)json_integer_value(json_object_get(d, "preexisting_failures")));
}

static json_t *driver_entry(json_t *drivers, const char *name)
{
	json_t *d = json_object_get(drivers, name);

	if (d)
		return d;
	d = json_pack("{s:s, s:[], s:[], s:[], s:[], s:[], s:[], s:[], s:[], s:[], s:[], s:[], "
		      "s:[], s:[], s:[], s:i, s:i}", "driver", name,
		      "contract_violations", "new_failures", "new_passes", "errno_changes",
		      "other_changes", "inconsistent", "new_crashes", "new_warnings", "missing",
		      "crashes_fixed", "setup_changes", "expected_failures", "expected_passed",
		      "qemu_changes", "preexisting_failures", 0, "unchanged", 0);
	json_object_set_new(drivers, name, d);
	return d;
}

static void add_count(json_t *d, const char *key)
{
	json_object_set_new(d, key, json_integer(json_integer_value(json_object_get(d, key)) + 1));
}

/* a setup step change where the head no longer passes (diff row "regression") */
static bool setup_regressed(json_t *rows)
{
	json_t *r;
	size_t i;

	json_array_foreach(rows, i, r)
		if (json_is_true(json_object_get(r, "regression")))
			return true;
	return false;
}

/* classify one diff row into its driver's lists */
static void take_row(json_t *drivers, json_t *row)
{
	const char *cls = lab_flow_str(row, "class");
	json_t *b = json_object_get(row, "base"), *h = json_object_get(row, "head");
	json_t *d = driver_entry(drivers, lab_flow_str(row, "driver"));
	bool changed = strcmp(cls, "unchanged") != 0;

	if (!changed) {
		add_count(d, "unchanged");
		if (failing(h))
			add_count(d, "preexisting_failures");
		return;
	}
	/* a known issue covers it (diff_known.h): an expected failure fails
	 * nothing; one that passes again is a change worth a look */
	switch (lab_diff_known_of(row, NULL, NULL)) {
	case LAB_KNOWN_EXPECTED:
		json_array_append(json_object_get(d, "expected_failures"), row);
		return;
	case LAB_KNOWN_EXPECTED_PASSED:
		json_array_append(json_object_get(d, "expected_passed"), row);
		return;
	case LAB_KNOWN_NONE:
		break;
	}
	/* the two kernels ran on different QEMU versions (diff_qemu.h): the
	 * emulator changed, not necessarily the kernel; never a failure of the
	 * series (the diff's "regression" is false), a change worth a look */
	if (json_is_true(json_object_get(row, "qemu_change"))) {
		json_array_append(json_object_get(d, "qemu_changes"), row);
		return;
	}
	/* kernel reports, cases gone and setup refusals have lists of their own (diff.h) */
	static const struct { const char *cls, *list; } own[] = {
		{ "new_crash", "new_crashes" }, { "new_warning", "new_warnings" },
		{ "missing", "missing" }, { "crash_fixed", "crashes_fixed" },
		{ "setup_changed", "setup_changes" },
	};
	for (size_t k = 0; k < sizeof(own) / sizeof(own[0]); k++) {
		if (!strcmp(cls, own[k].cls)) {
			json_array_append(json_object_get(d, own[k].list), row);
			return;
		}
	}
	/* repeats that disagreed in the head (or a base the head matched in
	 * part): a change, never a violation or failure; a consistent head
	 * against a flaky base is judged like any other (diff.h) */
	if (!strcmp(cls, "flaky")) {
		json_array_append(json_object_get(d, "inconsistent"), row);
		return;
	}
	if (verdict_is(h, "fail"))
		json_array_append(json_object_get(d, "contract_violations"), row);
	else if (failing(h) && verdict_is(b, "pass"))
		json_array_append(json_object_get(d, "new_failures"), row);
	else if (!strcmp(cls, "fail_to_pass"))
		json_array_append(json_object_get(d, "new_passes"), row);
	if (json_is_object(b) && json_is_object(h) &&
	    json_integer_value(json_object_get(b, "observed")) !=
	    json_integer_value(json_object_get(h, "observed")))
		json_array_append(json_object_get(d, "errno_changes"), row);
	else if (!verdict_is(h, "fail") && !(failing(h) && verdict_is(b, "pass")) &&
		 strcmp(cls, "fail_to_pass"))
		json_array_append(json_object_get(d, "other_changes"), row);
}

/*
 * A complete job whose kernel crashed before its first case: its "boot"
 * crash record (crash isolation stores it and completes the job: a kernel
 * crash is a result, docs/records.md), NULL when there is none.
 */
static json_t *boot_crash(struct lab_store *st, json_int_t job_id)
{
	struct lab_result_filter f = { .job_id = job_id, .case_id = "boot",
				       .verdict = LAB_VERDICT_CRASH, .limit = 1 };
	json_t *rows = NULL, *r;

	if (lab_store_results_query(st, &f, &rows))
		return NULL;
	r = json_incref(json_array_get(rows, 0));
	json_decref(rows);
	return r;
}

/* what a failed candidate/base job says about the stage */
static const char *stage_of(const char *reason)
{
	if (!reason)
		return "run";
	if (strstr(reason, "preparation failed (exit 4)"))
		return "apply";
	if (strstr(reason, "preparation failed (exit 5)"))
		return "input";	/* kernels/build cannot read the series */
	if (strstr(reason, "preparation failed (exit 3)"))
		return "config";
	if (strstr(reason, "preparation failed") || strstr(reason, "prepare"))
		return "build";
	if (strstr(reason, "bad results"))
		return "results";
	return "boot";
}

/* the last @max bytes of @s, from a line start */
static json_t *excerpt(const char *s, size_t max)
{
	size_t n = s ? strlen(s) : 0;
	const char *p;

	if (!n)
		return json_null();
	if (n <= max)
		return json_string(s);
	p = s + n - max;
	if (strchr(p, '\n'))
		p = strchr(p, '\n') + 1;
	return json_string(p);
}

static int state_rank(const char *s)
{
	return !strcmp(s, "fail") ? 0 : !strcmp(s, "warning") ? 1 : 2;
}

/* drivers: fail first, then warning, then success; by name within */
static int driver_cmp(const void *a, const void *b)
{
	json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
	int c = state_rank(lab_flow_str(x, "state")) - state_rank(lab_flow_str(y, "state"));

	return c ? c : strcmp(lab_flow_str(x, "driver"), lab_flow_str(y, "driver"));
}

/* the last @max bytes of a job's console log, printable lines only */
static json_t *console_tail(struct lab_store *st, int64_t job_id, size_t max)
{
	struct lab_job j;
	char *buf, *o;
	json_t *ret;
	FILE *f;
	long len;
	size_t n, i;

	if (lab_store_job_get(st, job_id, &j))
		return NULL;
	f = j.log_path ? fopen(j.log_path, "re") : NULL;
	lab_job_clear(&j);
	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) || (len = ftell(f)) <= 0 ||
	    fseek(f, len > (long)max ? len - (long)max : 0, SEEK_SET)) {
		fclose(f);
		return NULL;
	}
	buf = calloc(1, max + 1);
	n = buf ? fread(buf, 1, max, f) : 0;
	fclose(f);
	if (!buf)
		return NULL;
	/* drop ANSI escapes and control bytes (the firmware clears the screen) */
	for (i = 0, o = buf; i < n; i++) {
		unsigned char c = (unsigned char)buf[i];

		if (c == 0x1b) {
			while (i + 1 < n && !((buf[i + 1] >= 'a' && buf[i + 1] <= 'z') ||
					      (buf[i + 1] >= 'A' && buf[i + 1] <= 'Z')))
				i++;
			i++;
			continue;
		}
		if (c == '\n' || (c >= 0x20 && c < 0x7f))	/* ASCII: valid JSON text */
			*o++ = (char)c;
	}
	*o = '\0';
	o = len > (long)max ? strchr(buf, '\n') : NULL;	/* from a line start */
	ret = excerpt(o ? o + 1 : buf, max);
	free(buf);
	return ret;
}

/*
 * The error lines of a job's preparation log (STATE/logs/<id>.prep.log,
 * next to its console log <id>.log): compiler and kernels/build errors,
 * which the reason's tail may have cut off. NULL when there are none.
 */
/*
 * Make @line valid JSON text in place: gcc's UTF-8 quotes become ', other
 * multi-byte characters ?, control bytes (but the newline) a space.
 */
static void to_ascii(char *line)
{
	unsigned char *r = (unsigned char *)line, *w = r;

	for (; *r; r++) {
		if (*r >= 0xc0)
			*w++ = r[0] == 0xe2 && r[1] == 0x80 && (r[2] == 0x98 || r[2] == 0x99) ?
			       '\'' : '?';
		else if (*r >= 0x80)
			continue;	/* continuation byte */
		else if (*r == '\n' || (*r >= 0x20 && *r < 0x7f))
			*w++ = *r;
		else
			*w++ = ' ';
	}
	*w = '\0';
}

/* append the "error:" lines of kernels/build's log @path (under
 * CACHE/kbuild/, named by the prep log) to @m; at most @max lines */
static size_t build_log_errors(const struct lab_config *cfg, const char *path, FILE *m,
			       size_t max)
{
	char want[PATH_MAX], line[512];
	size_t n = 0;
	FILE *f;

	if (!cfg || pathf(want, sizeof(want), "%s/kbuild/", cfg->cache_dir) ||
	    strncmp(path, want, strlen(want)) || strstr(path, "..") ||
	    strcmp(path + strlen(path) - 10, "/build.log"))
		return 0;
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (n < max && fgets(line, sizeof(line), f)) {
		to_ascii(line);
		if (strstr(line, "error:")) {
			fputs(line, m);
			n++;
		}
	}
	fclose(f);
	return n;
}

static json_t *prep_errors(struct lab_store *st, const struct lab_config *cfg, int64_t job_id)
{
	char path[PATH_MAX], line[512], *acc = NULL;
	size_t alen = 0, n = 0;
	json_t *ret = NULL;
	FILE *f, *m;

	(void)st;
	/* named by the job's id: a job whose preparation failed has no console
	 * log (log_path), its prep log is there all the same */
	if (!cfg || lab_joblog_path(cfg->state_dir, job_id, LAB_JOBLOG_PREP, path, sizeof(path)))
		return NULL;
	f = fopen(path, "re");
	if (!f)
		return NULL;
	m = open_memstream(&acc, &alen);
	while (m && n < 20 && fgets(line, sizeof(line), f)) {
		to_ascii(line);
		if (strstr(line, "error:") || strstr(line, "does not apply")) {
			const char *lp = strstr(line, "build failed (log: ");

			/* the compiler's errors are in kernels/build's own log */
			if (lp) {
				char bl[PATH_MAX];

				snprintf(bl, sizeof(bl), "%s", lp + 19);
				bl[strcspn(bl, ")\n")] = '\0';
				n += build_log_errors(cfg, bl, m, 12);
			}
			fputs(line, m);
			n++;
		}
	}
	fclose(f);
	if (m && !fclose(m) && n) {
		/* the prep log repeats some of the build log's lines: once each */
		char *out = calloc(1, alen + 1), *p = acc, *o = out;

		while (out && *p) {
			size_t len = strcspn(p, "\n") + (p[strcspn(p, "\n")] == '\n');
			char save = p[len];

			p[len] = '\0';
			if (!strstr(out, p)) {
				memcpy(o, p, len);
				o += len;
				*o = '\0';
			}
			p[len] = save;
			p += len;
		}
		ret = out ? json_string(out) : NULL;
		free(out);
	}
	free(acc);
	return ret;
}

static int check_push(json_t *checks, const char *state, const char *ctx,
		      const char *desc, const char *url)
{
	return json_array_append_new(checks, json_pack("{s:s, s:s, s:s, s:s}", "state", state,
						       "context", ctx, "description", desc,
						       "target_url", url));
}

int lab_patch_report(struct lab_store *st, const struct lab_config *cfg, int64_t plan_id,
		     const char *dash, json_t **out, char *err, size_t errlen)
{
	struct lab_job_filter f = { .state = -1, .plan_id = plan_id, .limit = 1000 };
	json_t *plan = NULL, *jobs = NULL, *diff = NULL, *rep, *checks, *targets;
	json_t *j, *pspec, *bk = NULL, *hk = NULL, *row, *dl;
	const char *bname, *hname, *state = "success", *stage = "run";
	char url[LAB_DASHURL_MAX + 64], desc[512], ctx[128];
	bool pending = false;
	json_t *bad_job = NULL, *boot_job = NULL, *boot_rec = NULL;
	size_t i;
	int ret;

	ret = lab_store_plan_json(st, plan_id, &plan);
	if (ret)
		return ret == -ENOENT ? lab_flow_errf(err, errlen, ret, "unknown plan %lld",
					     (long long)plan_id) : ret;
	pspec = json_object_get(json_object_get(plan, "spec"), "patch");
	if (strcmp(lab_flow_str(plan, "kind"), "patch") || !json_is_object(pspec)) {
		ret = lab_flow_errf(err, errlen, -ENOENT, "plan %lld is not a patch submission",
			   (long long)plan_id);
		goto put_plan;
	}
	bname = lab_flow_str(pspec, "base");
	hname = lab_flow_str(pspec, "head");
	ret = lab_store_jobs_list(st, &f, &jobs);
	if (ret)
		goto put_plan;
	if (lab_store_kernel_json(st, bname, &bk) || lab_store_kernel_json(st, hname, &hk)) {
		ret = lab_flow_errf(err, errlen, -ENOENT, "the kernels of plan %lld are gone",
			   (long long)plan_id);
		goto put_jobs;
	}
	snprintf(url, sizeof(url), "%s/#/patches/%lld", dash ? dash : "", (long long)plan_id);
	targets = json_array();
	json_array_foreach(jobs, i, j) {
		const char *js = lab_flow_str(j, "state");
		bool dup = false;
		size_t k;
		json_t *t;

		json_array_foreach(targets, k, t)
			dup |= !strcmp(json_string_value(t), lab_flow_str(j, "target"));
		if (!dup)
			json_array_append_new(targets, json_string(lab_flow_str(j, "target")));
		if (!strcmp(js, "queued") || !strcmp(js, "scheduled") || !strcmp(js, "running"))
			pending = true;
		else if (strcmp(js, "complete") &&
			 (!bad_job || !strcmp(lab_flow_str(j, "kernel"), hname)))
			bad_job = j;	/* a candidate's failure says the most */
		else if (!strcmp(js, "complete") && !strcmp(lab_flow_str(j, "kernel"), hname) &&
			 !boot_rec) {
			boot_rec = boot_crash(st, json_integer_value(json_object_get(j, "id")));
			if (boot_rec)
				boot_job = j;
		}
	}
	/* a candidate that crashed at boot failed, though its job completed */
	if (boot_job && (!bad_job || strcmp(lab_flow_str(bad_job, "kernel"), hname)))
		bad_job = boot_job;
	else if (boot_job) {
		json_decref(boot_rec);
		boot_rec = NULL;
	}
	rep = json_pack("{s:I, s:s, s:s, s:{s:s, s:O}, s:{s:s, s:O}, s:o, s:s}",
			"plan", (json_int_t)plan_id, "name", lab_flow_str(plan, "name"),
			"subject", lab_flow_str(pspec, "subject"),
			"base", "kernel", bname, "release", json_object_get(bk, "release"),
			"head", "kernel", hname, "release", json_object_get(hk, "release"),
			"targets", targets, "target_url", url);
	checks = json_array();
	dl = json_array();
	if (!rep || !checks || !dl) {
		json_decref(rep);
		json_decref(checks);
		json_decref(dl);
		ret = -ENOMEM;
		goto put_kernels;
	}
	if (pending && !bad_job) {
		state = "pending";
		snprintf(desc, sizeof(desc), "%lld of %zu jobs done",
			 (long long)json_integer_value(json_object_get(json_object_get(plan, "jobs"),
								       "complete")),
			 json_array_size(jobs));
		check_push(checks, "pending", "iommulab/run", desc, url);
		json_object_set_new(rep, "summary", json_string(desc));
		json_object_set_new(rep, "excerpt", json_null());
	} else if (bad_job) {
		const char *reason = boot_rec ? lab_flow_str(boot_rec, "kernel_excerpt") :
					lab_flow_str(bad_job, "reason");
		bool is_base = !strcmp(lab_flow_str(bad_job, "kernel"), bname);
		char line1[160];

		/* descriptions are one line: the reason's first */
		snprintf(line1, sizeof(line1), "%.*s", (int)strcspn(reason, "\r\n"), reason);

		state = "fail";
		stage = is_base ? "base" : boot_rec ? "boot" : stage_of(reason);
		if (!strcmp(stage, "apply"))
			snprintf(desc, sizeof(desc), "the series does not apply to %s", bname);
		else if (!strcmp(stage, "input"))
			snprintf(desc, sizeof(desc), "input error: the lab cannot read the series");
		else if (!strcmp(stage, "config"))
			snprintf(desc, sizeof(desc), "the series breaks the lab config");
		else if (!strcmp(stage, "build"))
			snprintf(desc, sizeof(desc), "the series breaks the build");
		else if (!strcmp(stage, "base"))
			snprintf(desc, sizeof(desc), "the base kernel %s did not run: %s",
				 bname, line1);
		else if (!strcmp(stage, "results"))
			snprintf(desc, sizeof(desc), "the candidate gave no usable results on %s",
				 lab_flow_str(bad_job, "target"));
		else
			snprintf(desc, sizeof(desc), "the candidate kernel did not boot/run on %s: "
				 "%s", lab_flow_str(bad_job, "target"), line1);
		snprintf(ctx, sizeof(ctx), "iommulab/%s", !strcmp(stage, "boot") ||
			 !strcmp(stage, "results") ? "boot" : !strcmp(stage, "input") ? "input" : "build");
		check_push(checks, "fail", ctx, desc, url);
		json_object_set_new(rep, "summary", json_string(desc));
		{
			json_t *ex = NULL;

			/* a kernel that did not boot: its console says why */
			if (boot_rec)	/* from its first oops line (crash isolation) */
				ex = excerpt(reason, 2000);
			else if (!strcmp(stage, "boot"))
				ex = console_tail(st, json_integer_value(json_object_get(bad_job, "id")),
						  2000);
			else if (!strcmp(stage, "build") || !strcmp(stage, "config") ||
				 !strcmp(stage, "apply") || !strcmp(stage, "input"))
				ex = prep_errors(st, cfg, json_integer_value(json_object_get(bad_job, "id")));
			json_object_set_new(rep, "excerpt", ex ? ex : excerpt(reason, 1500));
		}
		json_object_set_new(rep, "job", json_integer(json_integer_value(
			json_object_get(bad_job, "id"))));
	} else {
		const char *key;
		json_t *d, *dm = json_object();
		int nfail = 0, nwarn = 0;

		ret = lab_diff_run(st, false, bname, hname, false, &diff, err, errlen);
		if (ret) {
			json_decref(dm);
			json_decref(rep);
			json_decref(checks);
			json_decref(dl);
			goto put_kernels;
		}
		json_array_foreach(json_object_get(diff, "rows"), i, row) {
			size_t k;
			json_t *t;
			bool in_plan = false;

			json_array_foreach(targets, k, t)
				in_plan |= !strcmp(json_string_value(t), lab_flow_str(row, "target"));
			/* a case the plan did not ask for is not missing from it */
			if (!strcmp(lab_flow_str(row, "class"), "missing") &&
			    !lab_case_filter_match(json_string_value(json_object_get(plan, "case_filter")),
						   lab_flow_str(row, "case")))
				in_plan = false;
			if (in_plan)
				take_row(dm, row);
		}
		json_object_foreach(dm, key, d) {
			const char *ds = "success";

			(void)key;
			if (json_array_size(json_object_get(d, "contract_violations")) ||
			    json_array_size(json_object_get(d, "new_failures")) ||
			    json_array_size(json_object_get(d, "new_crashes")) ||
			    json_array_size(json_object_get(d, "new_warnings")) ||
			    json_array_size(json_object_get(d, "missing")) ||
			    setup_regressed(json_object_get(d, "setup_changes")))
				ds = "fail", nfail++;
			else if (json_array_size(json_object_get(d, "new_passes")) ||
				 json_array_size(json_object_get(d, "expected_passed")) ||
				 json_array_size(json_object_get(d, "crashes_fixed")) ||
				 json_array_size(json_object_get(d, "setup_changes")) ||
				 json_array_size(json_object_get(d, "errno_changes")) ||
				 json_array_size(json_object_get(d, "other_changes")) ||
				 json_array_size(json_object_get(d, "inconsistent")) ||
				 json_array_size(json_object_get(d, "qemu_changes")))
				ds = "warning", nwarn++;
			describe(d, desc, sizeof(desc));
			snprintf(ctx, sizeof(ctx), "iommulab/%s", lab_flow_str(d, "driver"));
			json_object_set_new(d, "state", json_string(ds));
			json_object_set_new(d, "context", json_string(ctx));
			json_object_set_new(d, "description", json_string(desc));
			json_object_set_new(d, "target_url", json_string(url));
			json_array_append(dl, d);
		}
		json_decref(dm);
		{
			size_t n = json_array_size(dl), k;
			json_t **v = calloc(n ? n : 1, sizeof(*v));

			if (v) {
				for (k = 0; k < n; k++)
					v[k] = json_incref(json_array_get(dl, k));
				qsort(v, n, sizeof(*v), driver_cmp);
				json_array_clear(dl);
				for (k = 0; k < n; k++)
					json_array_append_new(dl, v[k]);
				free(v);
			}
			json_array_foreach(dl, k, d)
				check_push(checks, lab_flow_str(d, "state"), lab_flow_str(d, "context"),
					   lab_flow_str(d, "description"), url);
		}
		state = nfail ? "fail" : nwarn ? "warning" : "success";
		snprintf(desc, sizeof(desc), "%zu driver%s: %d fail, %d warning, %zu success",
			 json_array_size(dl), json_array_size(dl) == 1 ? "" : "s", nfail, nwarn,
			 json_array_size(dl) - nfail - nwarn);
		json_object_set_new(rep, "summary", json_string(desc));
		json_object_set_new(rep, "excerpt", json_null());
	}
	json_object_set_new(rep, "state", json_string(state));
	json_object_set_new(rep, "stage", json_string(pending && !bad_job ? "run" : stage));
	json_object_set_new(rep, "drivers", dl);
	json_object_set_new(rep, "checks", checks);
	*out = rep;
	ret = 0;
put_kernels:
	json_decref(diff);
	json_decref(bk);
	json_decref(hk);
put_jobs:
	json_decref(boot_rec);
	json_decref(jobs);
put_plan:
	json_decref(plan);
	return ret;
}

/* ---- text ----------------------------------------------------------------- */

static const char *side_text(json_t *s, char *buf, size_t n)
{
	if (!json_is_object(s))
		return "-";
	snprintf(buf, n, "%s/%s", lab_flow_str(s, "observed_name"), lab_flow_str(s, "verdict"));
	return buf;
}

/* the rows a known issue covers, with its id and reason; @retire: and the
 * command that retires it (an expected failure that passes again) */
static void known_rows_text(FILE *f, json_t *d, const char *key, const char *label,
			    bool retire)
{
	char b[64], h[64], cmd[96];
	size_t i;
	json_t *r;

	json_array_foreach(json_object_get(d, key), i, r) {
		const char *reason = "";
		int64_t id = 0;

		lab_diff_known_of(r, &id, &reason);
		lab_diff_known_retire_cmd(id, cmd, sizeof(cmd));
		fprintf(f, "    %-20s %-34s %s -> %s  [%s: known issue %lld, \"%s\"]%s%s\n",
			lab_flow_str(r, "target"), lab_flow_str(r, "case"),
			side_text(json_object_get(r, "base"), b, sizeof(b)),
			side_text(json_object_get(r, "head"), h, sizeof(h)), label,
			(long long)id, reason, retire ? ": retire it with: " : "",
			retire ? cmd : "");
	}
}

static void rows_text(FILE *f, json_t *d, const char *key, const char *label)
{
	char b[64], h[64];
	size_t i;
	json_t *r;

	json_array_foreach(json_object_get(d, key), i, r) {
		json_t *hs = json_object_get(r, "head");
		const char *exp = json_is_object(hs) ? lab_flow_str(hs, "expected_name") : "";

		fprintf(f, "    %-20s %-34s %s -> %s%s%s%s  [%s]\n", lab_flow_str(r, "target"),
			lab_flow_str(r, "case"), side_text(json_object_get(r, "base"), b, sizeof(b)),
			side_text(hs, h, sizeof(h)), *exp ? " (contract: " : "", exp,
			*exp ? ")" : "", label);
	}
}

/* the QEMU changes: "[QEMU change 7.2.19 -> 10.0.2, not a kernel regression]" */
static void qemu_rows_text(FILE *f, json_t *d)
{
	char b[64], h[64];
	size_t i;
	json_t *r;

	json_array_foreach(json_object_get(d, "qemu_changes"), i, r) {
		json_t *q = json_object_get(r, "qemu");

		fprintf(f, "    %-20s %-34s %s -> %s  [%s, QEMU change %s -> %s, not a kernel "
			"regression]\n", lab_flow_str(r, "target"), lab_flow_str(r, "case"),
			side_text(json_object_get(r, "base"), b, sizeof(b)),
			side_text(json_object_get(r, "head"), h, sizeof(h)), lab_flow_str(r, "class"),
			json_string_value(json_object_get(q, "base")) ?: "?",
			json_string_value(json_object_get(q, "head")) ?: "?");
	}
}

char *lab_patch_report_text(json_t *rep)
{
	json_t *base = json_object_get(rep, "base"), *head = json_object_get(rep, "head");
	char *buf = NULL;
	size_t len = 0, i;
	json_t *d, *t;
	FILE *f;

	f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	fprintf(f, "iommulab per-patch validation: %s\n\n", lab_flow_str(rep, "subject"));
	fprintf(f, "  base:      %s (%s)\n", lab_flow_str(base, "kernel"),
		json_is_string(json_object_get(base, "release")) ? lab_flow_str(base, "release") : "not built yet");
	fprintf(f, "  candidate: %s (%s)\n", lab_flow_str(head, "kernel"),
		json_is_string(json_object_get(head, "release")) ? lab_flow_str(head, "release") : "not built yet");
	fprintf(f, "  targets:  ");
	json_array_foreach(json_object_get(rep, "targets"), i, t)
		fprintf(f, " %s", json_string_value(t));
	fprintf(f, "\n  result:    %s (%s)\n\n", lab_flow_str(rep, "state"), lab_flow_str(rep, "summary"));
	json_array_foreach(json_object_get(rep, "checks"), i, t) {
		char st[16];
		size_t k;

		snprintf(st, sizeof(st), "%s", lab_flow_str(t, "state"));
		for (k = 0; st[k]; k++)
			st[k] = (char)(st[k] >= 'a' && st[k] <= 'z' ? st[k] - 32 : st[k]);
		fprintf(f, "%-8s %s: %s\n", st, lab_flow_str(t, "context"), lab_flow_str(t, "description"));
		json_array_foreach(json_object_get(rep, "drivers"), k, d) {
			if (strcmp(lab_flow_str(d, "context"), lab_flow_str(t, "context")))
				continue;
			rows_text(f, d, "new_crashes", "new crash");
			rows_text(f, d, "new_warnings", "new kernel warning");
			rows_text(f, d, "missing", "missing: no result");
			rows_text(f, d, "setup_changes", "setup step changed");
			rows_text(f, d, "crashes_fixed", "crash fixed");
			rows_text(f, d, "contract_violations", "contract violation");
			rows_text(f, d, "new_failures", "new failure");
			rows_text(f, d, "new_passes", "new pass");
			rows_text(f, d, "other_changes", "changed");
			rows_text(f, d, "inconsistent", "flaky: repeats disagree");
			qemu_rows_text(f, d);
			known_rows_text(f, d, "expected_failures", "expected failure", false);
			known_rows_text(f, d, "expected_passed", "expected failure passed", true);
		}
	}
	if (json_is_string(json_object_get(rep, "excerpt"))) {
		const char *p = lab_flow_str(rep, "excerpt");

		fprintf(f, "\nlog excerpt:\n");
		while (*p) {
			size_t n = strcspn(p, "\n");

			fprintf(f, "  | %.*s\n", (int)n, p);
			p += n + (p[n] == '\n');
		}
	}
	fprintf(f, "\nDetails: %s\n", lab_flow_str(rep, "target_url"));
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* ---- list ----------------------------------------------------------------- */

int lab_patch_list(struct lab_store *st, const struct lab_config *cfg, int64_t limit,
		   json_t **out)
{
	json_t *plans, *items, *p, *rep;
	char err[LAB_STORE_ERR_MAX];
	size_t i;
	int ret;

	ret = lab_store_plans_list(st, 1000, 0, &plans);
	if (ret)
		return ret;
	items = json_array();
	if (!items) {
		json_decref(plans);
		return -ENOMEM;
	}
	json_array_foreach(json_is_array(plans) ? plans : json_object_get(plans, "items"), i, p) {
		json_t *spec = json_object_get(json_object_get(p, "spec"), "patch");
		int64_t id = json_integer_value(json_object_get(p, "id"));

		if (strcmp(lab_flow_str(p, "kind"), "patch") || !json_is_object(spec))
			continue;
		if ((int64_t)json_array_size(items) >= limit)
			break;
		if (lab_patch_report(st, cfg, id, "", &rep, err, sizeof(err)))
			continue;
		json_array_append_new(items, json_pack(
			"{s:I, s:s, s:s, s:O, s:O, s:O, s:O, s:O, s:O}",
			"plan", (json_int_t)id, "name", lab_flow_str(p, "name"),
			"subject", lab_flow_str(spec, "subject"),
			"base", json_object_get(rep, "base"), "head", json_object_get(rep, "head"),
			"state", json_object_get(rep, "state"), "stage", json_object_get(rep, "stage"),
			"summary", json_object_get(rep, "summary"),
			"created_at", json_object_get(p, "created_at") ?
				json_object_get(p, "created_at") : json_null()));
		json_decref(rep);
	}
	json_decref(plans);
	*out = items;
	return 0;
}
