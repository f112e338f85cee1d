/* SPDX-License-Identifier: GPL-2.0 */
/*
 * patchmail.c - a patch check's reply mail (patchmail.h): the series'
 * headers, get_maintainer.pl, the report text, one RFC 5322 message.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <jansson.h>

#include "log.h"
#include "patch.h"
#include "patchmail.h"
#include "store.h"
#include "views.h"

#define HDR_MAX 4096		/* one unfolded header value */
#define MAINT_OUT_MAX 65536	/* get_maintainer.pl's output */
#define MAINT_TIMEOUT_MS 60000
#define SERIES_FILE_MAX (8u << 20)

static int errf(char *err, size_t errlen, int ret, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int errf(char *err, size_t errlen, int ret, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return ret;
}

/* printf into a path buffer; -ENAMETOOLONG when it does not fit */
static int pathf(char *buf, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int pathf(char *buf, size_t n, const char *fmt, ...)
{
	va_list ap;
	int l;

	va_start(ap, fmt);
	l = vsnprintf(buf, n, fmt, ap);
	va_end(ap);
	return l < 0 || (size_t)l >= n ? -ENAMETOOLONG : 0;
}

static const char *str_of(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s ? s : "";
}

/* ---- headers of one message --------------------------------------------- */

/*
 * The value of header @name in the message at @msg (@len bytes; headers end
 * at the first empty line), unfolded, control bytes as spaces, trimmed, into
 * @out; false when absent.
 */
static bool header(const char *msg, size_t len, const char *name, char *out, size_t n)
{
	size_t nl = strlen(name), i = 0, o = 0;
	bool found = false;

	while (i < len) {
		size_t e = i;

		while (e < len && msg[e] != '\n')
			e++;
		if (e == i || (e == i + 1 && msg[i] == '\r'))
			break;	/* the empty line: end of headers */
		if (!found && e - i > nl && msg[i + nl] == ':' && !strncasecmp(msg + i, name, nl)) {
			found = true;
			for (size_t k = i + nl + 1; k < e && o + 1 < n; k++)
				out[o++] = (unsigned char)msg[k] < 0x20 || msg[k] == 0x7f ? ' ' : msg[k];
		} else if (found && (msg[i] == ' ' || msg[i] == '\t')) {
			for (size_t k = i; k < e && o + 1 < n; k++)	/* a continuation */
				out[o++] = (unsigned char)msg[k] < 0x20 || msg[k] == 0x7f ? ' ' : msg[k];
		} else if (found) {
			break;
		}
		i = e + 1;
	}
	if (!found)
		return false;
	out[o] = '\0';
	/* trim, and squeeze runs of white space */
	{
		char *r = out, *w = out;
		bool sp = true;

		for (; *r; r++) {
			if (*r == ' ' || *r == '\t') {
				if (!sp)
					*w++ = ' ';
				sp = true;
			} else {
				*w++ = *r;
				sp = false;
			}
		}
		if (w > out && w[-1] == ' ')
			w--;
		*w = '\0';
	}
	return true;
}

struct mail {
	char msgid[512], subject[1024], from[1024], to[HDR_MAX], cc[HDR_MAX], refs[HDR_MAX];
};

static void mail_parse(const char *msg, size_t len, struct mail *m)
{
	memset(m, 0, sizeof(*m));
	header(msg, len, "Message-ID", m->msgid, sizeof(m->msgid));
	header(msg, len, "Subject", m->subject, sizeof(m->subject));
	header(msg, len, "From", m->from, sizeof(m->from));
	header(msg, len, "To", m->to, sizeof(m->to));
	header(msg, len, "Cc", m->cc, sizeof(m->cc));
	header(msg, len, "References", m->refs, sizeof(m->refs));
}

/* a cover letter: "[... 0/N]" in the subject */
static bool is_cover(const struct mail *m)
{
	const char *b = strchr(m->subject, '['), *e = b ? strchr(b, ']') : NULL;

	for (const char *p = b; p && p < e; p++)
		if (p[0] == ' ' && p[1] == '0' && p[2] == '/')
			return true;
	return false;
}

/*
 * The mail to answer among the messages of @text (an mbox: messages start
 * at "From " lines; or one message): the cover letter, else the first with
 * a Message-ID. Returns whether one was found.
 */
static bool pick_mbox(const char *text, struct mail *best)
{
	size_t len = strlen(text);
	bool have = false;
	const char *p = text;

	while (p && *p) {
		const char *next = strstr(p + 1, "\nFrom ");
		size_t n = next ? (size_t)(next + 1 - p) : len - (size_t)(p - text);
		const char *body = p;
		struct mail m;

		if (!strncmp(body, "From ", 5)) {	/* the mbox separator line */
			const char *nl = memchr(body, '\n', n);

			if (!nl)
				break;
			n -= (size_t)(nl + 1 - body);
			body = nl + 1;
		}
		mail_parse(body, n, &m);
		if (m.msgid[0] && (!have || (is_cover(&m) && !is_cover(best)))) {
			*best = m;
			have = true;
		}
		p = next ? next + 1 : NULL;
	}
	return have;
}

static char *slurp(const char *path, size_t max)
{
	struct stat sb;
	char *buf;
	FILE *f = fopen(path, "re");

	if (!f)
		return NULL;
	if (fstat(fileno(f), &sb) || sb.st_size < 0 || (size_t)sb.st_size > max) {
		fclose(f);
		return NULL;
	}
	buf = malloc((size_t)sb.st_size + 1);
	if (buf && fread(buf, 1, (size_t)sb.st_size, f) != (size_t)sb.st_size) {
		free(buf);
		buf = NULL;
	}
	if (buf)
		buf[sb.st_size] = '\0';
	fclose(f);
	return buf;
}

/*
 * The series' files (for get_maintainer.pl) into @files (NULL-terminated,
 * at most @max) and the mail to answer into @m. -EIO when the series is gone.
 */
static int series_read(const char *dir, const char *format, char **files, size_t max,
		       struct mail *m, bool *have)
{
	char path[PATH_MAX];
	size_t n = 0;
	char *text;

	*have = false;
	files[0] = NULL;
	if (!strcmp(format, "mbox")) {
		if (pathf(path, sizeof(path), "%s/series.mbox", dir))
			return -ENAMETOOLONG;
		text = slurp(path, SERIES_FILE_MAX);
		if (!text)
			return -EIO;
		*have = pick_mbox(text, m);
		free(text);
		files[n++] = strdup(path);
	} else {
		char *list, *line, *save = NULL;

		if (pathf(path, sizeof(path), "%s/series", dir))
			return -ENAMETOOLONG;
		list = slurp(path, 1 << 20);
		if (!list)
			return -EIO;
		for (line = strtok_r(list, "\n", &save); line && n + 1 < max;
		     line = strtok_r(NULL, "\n", &save)) {
			struct mail one;

			if (!*line || strchr(line, '/') || pathf(path, sizeof(path), "%s/%s", dir, line))
				continue;
			text = slurp(path, SERIES_FILE_MAX);
			if (!text)
				continue;
			if (pick_mbox(text, &one) && (!*have || (is_cover(&one) && !is_cover(m)))) {
				*m = one;
				*have = true;
			}
			free(text);
			files[n++] = strdup(path);
		}
		free(list);
	}
	files[n] = NULL;
	return 0;
}

int lab_patchmail_thread(const struct lab_config *cfg, json_t *spec, char *msgid,
			 size_t idlen, char *subject, size_t sublen)
{
	char dir[PATH_MAX], *files[128];
	struct mail *m = calloc(1, sizeof(*m));
	bool have = false;
	int ret;

	files[0] = NULL;
	if (!m)
		return -ENOMEM;
	ret = pathf(dir, sizeof(dir), "%s/patches/%.16s", cfg->state_dir, str_of(spec, "series"));
	if (!ret)
		ret = series_read(dir, str_of(spec, "format"), files,
				  sizeof(files) / sizeof(files[0]), m, &have);
	if (!ret && !have)
		ret = -ENOENT;
	if (!ret) {
		snprintf(msgid, idlen, "%s", m->msgid);
		snprintf(subject, sublen, "%s", m->subject);
	}
	for (size_t i = 0; files[i]; i++)
		free(files[i]);
	free(m);
	return ret;
}

/* ---- get_maintainer.pl --------------------------------------------------- */

/* the top of tree @tree (a spec's "tree": debian-6.12 or /path[@ref]) into
 * @out when it has scripts/get_maintainer.pl; false otherwise */
static bool tree_top(const struct lab_config *cfg, const char *tree, char *out, size_t n)
{
	char p[PATH_MAX + 64];

	out[0] = '\0';
	if (!strcmp(tree, "debian-6.12")) {
		/* kernels/build unpacks it as $CACHE/src/debian-6.12-<version>:
		 * the newest name sorts last */
		char dir[PATH_MAX];
		struct dirent *d;
		DIR *dh;

		if (pathf(dir, sizeof(dir), "%s/src", cfg->cache_dir))
			return false;
		dh = opendir(dir);
		if (!dh)
			return false;
		while ((d = readdir(dh)))
			if (!strncmp(d->d_name, "debian-6.12-", 12) &&
			    (!out[0] || strverscmp(d->d_name, strrchr(out, '/') + 1) > 0) &&
			    pathf(out, n, "%s/%s", dir, d->d_name))
				out[0] = '\0';
		closedir(dh);
	} else if (tree[0] == '/') {
		size_t l = strcspn(tree, "@");

		snprintf(out, n, "%.*s", (int)l, tree);
	}
	if (!out[0])
		return false;
	snprintf(p, sizeof(p), "%s/scripts/get_maintainer.pl", out);
	return access(p, R_OK) == 0;
}

/*
 * Run get_maintainer.pl from @top on @files; its output (one address or
 * list a line) into *@out (malloc'd). 0 or -errno.
 */
static int get_maintainer(const char *top, char *const *files, char **out)
{
	char *argv[64], script[PATH_MAX + 32], *buf;
	size_t n = 0, len = 0;
	int pfd[2], st, r = 0;
	double waited = 0;
	pid_t pid;

	snprintf(script, sizeof(script), "%s/scripts/get_maintainer.pl", top);
	argv[n++] = "/usr/bin/perl";
	argv[n++] = script;
	argv[n++] = "--no-rolestats";
	argv[n++] = "--nogit";
	argv[n++] = "--nogit-fallback";
	argv[n++] = "--no-tree";	/* we chdir to the top; do not insist on a git tree */
	for (size_t i = 0; files[i] && n + 1 < sizeof(argv) / sizeof(argv[0]); i++)
		argv[n++] = files[i];
	argv[n] = NULL;
	buf = malloc(MAINT_OUT_MAX + 1);
	if (!buf)
		return -ENOMEM;
	if (pipe2(pfd, O_CLOEXEC)) {
		free(buf);
		return -errno;
	}
	pid = fork();
	if (pid < 0) {
		r = -errno;
		close(pfd[0]);
		close(pfd[1]);
		free(buf);
		return r;
	}
	if (pid == 0) {
		int nul = open("/dev/null", O_RDWR);
		sigset_t none;

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		if (nul < 0 || chdir(top) || dup2(nul, 0) < 0 || dup2(pfd[1], 1) < 0 ||
		    dup2(nul, 2) < 0)
			_exit(127);
		execv(argv[0], argv);
		_exit(127);
	}
	close(pfd[1]);
	for (;;) {
		struct pollfd p = { .fd = pfd[0], .events = POLLIN };
		ssize_t k;
		int pr = poll(&p, 1, 1000);

		if (pr == 0) {
			waited += 1000;
			if (waited >= MAINT_TIMEOUT_MS) {
				kill(pid, SIGKILL);
				r = -ETIMEDOUT;
				break;
			}
			continue;
		}
		if (pr < 0 && errno == EINTR)
			continue;
		k = pr < 0 ? -1 : read(pfd[0], buf + len, MAINT_OUT_MAX - len);
		if (k <= 0)
			break;
		len += (size_t)k;
		if (len == MAINT_OUT_MAX)
			break;
	}
	close(pfd[0]);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (!r && (!WIFEXITED(st) || WEXITSTATUS(st) != 0))
		r = -EIO;
	if (r) {
		free(buf);
		return r;
	}
	buf[len] = '\0';
	*out = buf;
	return 0;
}

/* ---- addresses ------------------------------------------------------------ */

struct addrs {
	char *v[256];
	size_t n;
};

/* the addr-spec of @a ("Name <x@y>" -> x@y), lowercase, into @out */
static void addr_key(const char *a, char *out, size_t n)
{
	const char *lt = strrchr(a, '<'), *gt = lt ? strchr(lt, '>') : NULL;
	size_t i = 0;

	if (lt && gt) {
		a = lt + 1;
		n = (size_t)(gt - a) + 1 < n ? (size_t)(gt - a) + 1 : n;
	}
	for (; a[i] && i + 1 < n; i++)
		out[i] = (char)(a[i] >= 'A' && a[i] <= 'Z' ? a[i] + 32 : a[i]);
	out[i] = '\0';
}

/* add @a unless its address is in @l or @skip (NULL) */
static void addrs_add(struct addrs *l, const char *a, const struct addrs *skip)
{
	char k[512], o[512];

	while (*a == ' ')
		a++;
	if (!*a || !strchr(a, '@') || l->n == sizeof(l->v) / sizeof(l->v[0]))
		return;
	addr_key(a, k, sizeof(k));
	for (size_t i = 0; i < l->n; i++) {
		addr_key(l->v[i], o, sizeof(o));
		if (!strcmp(k, o))
			return;
	}
	for (size_t i = 0; skip && i < skip->n; i++) {
		addr_key(skip->v[i], o, sizeof(o));
		if (!strcmp(k, o))
			return;
	}
	l->v[l->n] = strdup(a);
	if (l->v[l->n])
		l->n++;
}

/* every address of a header value @list ("a, B <b@x>, ..."; commas inside
 * quotes stay) */
static void addrs_add_list(struct addrs *l, const char *list, const struct addrs *skip)
{
	char one[1024];
	size_t o = 0;
	bool q = false;

	for (const char *p = list;; p++) {
		if (*p == '"')
			q = !q;
		if (!*p || (*p == ',' && !q) || *p == '\n') {
			one[o] = '\0';
			addrs_add(l, one, skip);
			o = 0;
			if (!*p)
				break;
			continue;
		}
		if (o + 1 < sizeof(one) && (unsigned char)*p >= 0x20)
			one[o++] = *p;
	}
}

static void addrs_free(struct addrs *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	l->n = 0;
}

/* "Name: a, b, ..." folded before 78 columns */
static void put_addrs(FILE *f, const char *name, const struct addrs *l)
{
	size_t col;

	if (!l->n)
		return;
	fprintf(f, "%s:", name);
	col = strlen(name) + 1;
	for (size_t i = 0; i < l->n; i++) {
		size_t w = strlen(l->v[i]) + 2;

		if (i && col + w > 76) {
			fputs("\n", f);
			col = 0;
		}
		fprintf(f, " %s%s", l->v[i], i + 1 < l->n ? "," : "");
		col += w;
	}
	fputs("\n", f);
}

int lab_patchmail_from_check(const char *from, char *err, size_t errlen)
{
	size_t n = from ? strlen(from) : 0;
	const char *at = from ? strchr(from, '@') : NULL;

	if (!n || n > 200 || !at)
		return errf(err, errlen, -EINVAL, "\"from\" must be 'Name <addr@host>' or "
			    "'addr@host', at most 200 bytes");
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)from[i] < 0x20 || from[i] == 0x7f)
			return errf(err, errlen, -EINVAL, "\"from\" holds a control character");
	if (strchr(from, '<') && (!strchr(from, '>') || strchr(from, '>') < strchr(from, '<')))
		return errf(err, errlen, -EINVAL, "\"from\": unbalanced '<'");
	return 0;
}

/* ---- the message ------------------------------------------------------------ */

static void quote_body(FILE *f, const char *text)
{
	while (*text) {
		size_t n = strcspn(text, "\n");

		fprintf(f, "%.*s\n", (int)n, text);
		text += n + (text[n] == '\n');
	}
}

int lab_patchmail_draft(struct lab_store *st, const struct lab_config *cfg, int64_t plan_id,
			const char *dash, const char *from, char **out, char *err,
			size_t errlen)
{
	struct lab_job_filter jf = { .state = -1, .plan_id = plan_id, .limit = 1000 };
	json_t *rep = NULL, *plan = NULL, *spec, *jobs = NULL, *j;
	char dir[PATH_MAX], top[PATH_MAX], date[64], host[128] = "localhost", *maint = NULL;
	char *files[128], *text = NULL, *buf = NULL;
	struct addrs to = { 0 }, cc = { 0 };
	const char *state, *trailer;
	struct mail *m = NULL;
	size_t len = 0, i;
	bool have = false;
	time_t now = time(NULL);
	struct tm tm;
	FILE *f;
	int ret;

	files[0] = NULL;
	if (!from)
		from = LAB_PATCHMAIL_FROM_DEFAULT;
	ret = lab_patchmail_from_check(from, err, errlen);
	if (ret)
		return ret;
	ret = lab_patch_report(st, cfg, plan_id, dash, &rep, err, errlen);
	if (ret)
		return ret;
	state = str_of(rep, "state");
	if (!strcmp(state, "pending")) {
		ret = errf(err, errlen, -EAGAIN, "patch check %lld is still running: no reply yet",
			   (long long)plan_id);
		goto put_rep;
	}
	ret = lab_store_plan_json(st, plan_id, &plan);
	if (ret)
		goto put_rep;
	spec = json_object_get(json_object_get(plan, "spec"), "patch");
	if (pathf(dir, sizeof(dir), "%s/patches/%.16s", cfg->state_dir, str_of(spec, "series"))) {
		ret = -ENAMETOOLONG;
		goto put_plan;
	}
	m = calloc(1, sizeof(*m));
	if (!m) {
		ret = -ENOMEM;
		goto put_plan;
	}
	ret = series_read(dir, str_of(spec, "format"), files, sizeof(files) / sizeof(files[0]),
			  m, &have);
	if (ret) {
		errf(err, errlen, ret, "the series of patch check %lld is gone from %s",
		     (long long)plan_id, dir);
		goto free_files;
	}
	if (!have) {
		ret = errf(err, errlen, -EINVAL, "the series of patch check %lld has no "
			   "Message-ID: there is no mail to reply to", (long long)plan_id);
		goto free_files;
	}
	addrs_add_list(&to, m->from, NULL);
	addrs_add_list(&cc, m->to, &to);
	addrs_add_list(&cc, m->cc, &to);
	if (tree_top(cfg, str_of(spec, "tree"), top, sizeof(top))) {
		int r = get_maintainer(top, files, &maint);

		if (r)
			lab_warn("patchmail: plan %lld: get_maintainer.pl in %s: %s",
				 (long long)plan_id, top, strerror(-r));
		else
			addrs_add_list(&cc, maint, &to);
	}
	ret = lab_store_jobs_list(st, &jf, &jobs);
	if (ret)
		goto free_addrs;
	text = lab_patch_report_text(rep);
	f = open_memstream(&buf, &len);
	if (!text || !f) {
		if (f)
			fclose(f);
		ret = -ENOMEM;
		goto free_addrs;
	}
	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	gethostname(host, sizeof(host) - 1);
	host[sizeof(host) - 1] = '\0';
	for (char *h = host; *h; h++)	/* a Message-ID's domain: keep it a dot-atom */
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-", *h))
			*h = '-';
	fprintf(f, "From: %s\n", from);
	put_addrs(f, "To", &to);
	put_addrs(f, "Cc", &cc);
	fprintf(f, "Subject: %s%s\n", strncasecmp(m->subject, "Re:", 3) ? "Re: " : "", m->subject);
	fprintf(f, "Date: %s\n", date);
	fprintf(f, "Message-ID: <iommulab.patch-%lld.%lld@%s>\n", (long long)plan_id,
		(long long)now, host);
	fprintf(f, "In-Reply-To: %s\n", m->msgid);
	fprintf(f, "References:%s%s %s\n", m->refs[0] ? " " : "", m->refs, m->msgid);
	fprintf(f, "MIME-Version: 1.0\nContent-Type: text/plain; charset=UTF-8\n"
		"Content-Transfer-Encoding: 8bit\nX-iommulab-plan: %lld\n\n", (long long)plan_id);
	fprintf(f, "On %s, %s wrote:\n> %s\n\n", date, m->from, m->subject);
	quote_body(f, text);
	fprintf(f, "\nReproduce with iommulab (one command per job; it rebuilds and boots what the job ran):\n");
	json_array_foreach(jobs, i, j)
		fprintf(f, "  iommulab reproduce %lld   # %s on %s (%s)\n",
			(long long)json_integer_value(json_object_get(j, "id")), str_of(j, "kernel"),
			str_of(j, "target"), str_of(j, "state"));
	trailer = !strcmp(state, "fail") ? "Reported-by" : "Tested-by";
	fprintf(f, "\n%s: %s\n", trailer, from);
	if (fclose(f)) {
		ret = -ENOMEM;
		goto free_addrs;
	}
	*out = buf;
	buf = NULL;
	ret = 0;
free_addrs:
	free(buf);
	free(text);
	free(maint);
	json_decref(jobs);
	addrs_free(&to);
	addrs_free(&cc);
free_files:
	for (i = 0; files[i]; i++)
		free(files[i]);
	free(m);
put_plan:
	json_decref(plan);
put_rep:
	json_decref(rep);
	return ret;
}
