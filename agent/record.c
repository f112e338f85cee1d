/*
 * record.c - record line formatting (see record.h, docs/records.md).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "errnames.h"
#include "jsonw.h"
#include "record.h"

#define PREFIX_REC	"IOMMULAB-REC "

/* the driver names docs/records.md allows; anything else is reported as "none" */
static const char *record_driver(const char *d)
{
	static const char *const known[] = { "intel-iommu", "amd-iommu", "virtio-iommu",
					     "arm-smmu-v3", "s390-iommu", "mtk-iommu",
					     "apple-dart", "iommufd-selftest", "none", NULL };
	int i;

	for (i = 0; known[i]; i++)
		if (strcmp(d, known[i]) == 0)
			return known[i];
	return "none";
}

/* finish a line: check, append "\n"; returns length or -ENOSPC */
static int finish(struct lab_jw *w, char *buf, size_t cap)
{
	if (lab_jw_ok(w) || w->len + 2 > cap)
		return -ENOSPC;
	buf[w->len++] = '\n';
	buf[w->len] = '\0';
	return (int)w->len;
}

/*
 * Start a line "@pfx{"v":1" in @buf: the JSON writer @w works after the
 * prefix and leaves room for the newline. 0 or -ENOSPC.
 */
static int line_begin(struct lab_jw *w, char *buf, size_t cap, const char *pfx)
{
	size_t pl = strlen(pfx);

	if (cap < pl + 2)
		return -ENOSPC;
	memcpy(buf, pfx, pl);
	lab_jw_init(w, buf + pl, cap - pl - 1);
	lab_jw_obj_begin(w);
	lab_jw_kint(w, "v", 1);
	return 0;
}

/* close the object line_begin() opened and finish the line: length or -ENOSPC */
static int line_end(struct lab_jw *w, char *buf, size_t cap, const char *pfx)
{
	lab_jw_obj_end(w);
	if (lab_jw_ok(w))
		return -ENOSPC;
	w->buf = buf;
	w->len += strlen(pfx);
	w->cap = cap;
	return finish(w, buf, cap);
}

static void format_klog(struct lab_jw *w, const struct lab_klog *k, enum lab_verdict v,
			const char *excerpt);

static int format_rec(const struct lab_record *rec, char *buf, size_t cap, int with_steps,
		      const char *excerpt)
{
	const struct lab_result *r = rec->res;
	char label[96];
	struct lab_jw w;
	int i;

	if (cap > LAB_RECORD_MAX)
		cap = LAB_RECORD_MAX;
	if (line_begin(&w, buf, cap, PREFIX_REC))
		return -ENOSPC;
	lab_jw_kstr(&w, "id", rec->id);
	lab_jw_kstr(&w, "target", rec->target);
	lab_jw_kstr(&w, "kernel", rec->kernel);
	lab_jw_kstr(&w, "arch", rec->arch);
	lab_jw_kstr(&w, "driver", record_driver(r->driver));
	if (strcmp(record_driver(r->driver), r->driver) != 0)
		lab_jw_kstr(&w, "driver_detail", r->driver);	/* what discovery saw */
	lab_jw_kstr(&w, "iommu", r->iommu);
	lab_jw_kstr(&w, "device", r->device);
	lab_jw_key(&w, "steps");
	lab_jw_arr_begin(&w);
	for (i = 0; with_steps && i < r->nsteps; i++) {
		lab_jw_obj_begin(&w);
		lab_jw_kstr(&w, "name", r->steps[i].name);
		lab_jw_kint(&w, "errno", r->steps[i].err);
		lab_jw_kstr(&w, "err", lab_errname(r->steps[i].err));
		lab_jw_obj_end(&w);
	}
	lab_jw_arr_end(&w);
	lab_jw_kint(&w, "observed", r->observed);
	lab_jw_kstr(&w, "observed_name", lab_errname(r->observed));
	lab_jw_key(&w, "expected");
	if (rec->contract)
		lab_jw_int(&w, rec->contract->expected);
	else
		lab_jw_null(&w);
	lab_jw_key(&w, "expected_name");
	if (rec->contract) {
		lab_jw_str(&w, lab_errname(rec->contract->expected));
		lab_contract_label(rec->contract, label, sizeof(label));
		lab_jw_kstr(&w, "contract", label);
	} else {
		lab_jw_null(&w);
		lab_jw_kstr(&w, "contract", "none");
	}
	lab_jw_kstr(&w, "verdict", lab_verdict_name(rec->verdict));
	lab_jw_kstr(&w, "reason", with_steps ? rec->reason : "record truncated: steps dropped");
	lab_jw_key(&w, "reused");
	if (r->reused < 0)
		lab_jw_null(&w);
	else
		lab_jw_bool(&w, r->reused);
	lab_jw_kstr(&w, "verified", lab_verified_name(r->verified));
	lab_jw_kint(&w, "duration_us", rec->duration_us);
	lab_jw_kint(&w, "repeat", rec->repeat);
	if (rec->klog)
		format_klog(&w, rec->klog, rec->verdict, excerpt);
	return line_end(&w, buf, cap, PREFIX_REC);
}

/* the kernel-log keys of docs/records.md ("Kernel reports") */
static void format_klog(struct lab_jw *w, const struct lab_klog *k, enum lab_verdict v,
			const char *excerpt)
{
	if (k->have_taint) {
		lab_jw_kint(w, "taint_before", (long long)k->taint_before);
		lab_jw_kint(w, "taint_after", (long long)k->taint_after);
	}
	if (k->kind)
		lab_jw_kstr(w, "kernel_kind", k->kind);
	if (k->reports)
		lab_jw_kint(w, "kernel_reports", k->reports);
	if (excerpt) {
		lab_jw_kstr(w, "kernel_excerpt", excerpt);
		lab_jw_kint(w, "kernel_excerpt_lines", k->excerpt_lines);
	}
	if (v == LAB_VERDICT_CRASH || v == LAB_VERDICT_WARN)
		lab_jw_kstr(w, "contract_verdict", lab_verdict_name(k->contract_verdict));
	if (k->lost)
		lab_jw_kint(w, "kernel_lost", k->lost);
}

int lab_record_cut_excerpt(const char *in, size_t budget, char *out, size_t cap)
{
	const char *lines[512];
	size_t len[512], head = 0, tail = 0, total = 0;
	int n = 0, h = 0, t = 0, i, cut, w = 0;
	const char *p = in;

	while (n < 512) {
		const char *nl = strchr(p, '\n');

		lines[n] = p;
		len[n] = nl ? (size_t)(nl - p) : strlen(p);
		total += len[n] + 1;
		n++;
		if (!nl)
			break;
		p = nl + 1;
	}
	if (total - 1 <= budget) {
		if (strlen(in) + 1 > cap)
			return -ENOSPC;
		memcpy(out, in, strlen(in) + 1);
		return (int)strlen(in);
	}
	/* a third of the budget for the head (the report's first lines), the rest for the tail */
	while (h < n && head + len[h] + 1 <= budget / 3)
		head += len[h++] + 1;
	if (!h)
		h = 1, head = len[0] + 1;
	while (t < n - h && tail + len[n - 1 - t] + 1 + head + 32 <= budget)
		tail += len[n - 1 - t++] + 1;
	cut = n - h - t;
	for (i = 0; i < h; i++)
		w += snprintf(out + w, cap > (size_t)w ? cap - (size_t)w : 0, "%.*s\n", (int)len[i],
			      lines[i]);
	w += snprintf(out + w, cap > (size_t)w ? cap - (size_t)w : 0, "[... %d lines cut ...]", cut);
	for (i = n - t; i < n; i++)
		w += snprintf(out + w, cap > (size_t)w ? cap - (size_t)w : 0, "\n%.*s", (int)len[i],
			      lines[i]);
	return (size_t)w < cap ? w : -ENOSPC;
}

int lab_record_format(const struct lab_record *rec, char *buf, size_t cap)
{
	static char cut[LAB_RECORD_MAX], squeezed[16384];
	const char *ex = rec->klog ? rec->klog->excerpt : NULL;
	size_t budget;
	int n = format_rec(rec, buf, cap, 1, ex);

	/*
	 * First the kernel excerpt shrinks: its register/code dumps go
	 * (kreport.h lab_kexcerpt_squeeze), then its middle, then the steps.
	 */
	if (n == -ENOSPC && ex && lab_kexcerpt_squeeze(ex, squeezed, sizeof(squeezed)) >= 0) {
		ex = squeezed;
		n = format_rec(rec, buf, cap, 1, ex);
	}
	for (budget = ex ? strlen(ex) : 0; n == -ENOSPC && budget > 64; budget = budget * 7 / 8) {
		if (budget > sizeof(cut) - 1)
			budget = sizeof(cut) - 1;
		if (lab_record_cut_excerpt(ex, budget, cut, sizeof(cut)) < 0)
			continue;
		n = format_rec(rec, buf, cap, 1, cut);
	}
	if (n == -ENOSPC)
		n = format_rec(rec, buf, cap, 0, NULL);
	return n;
}

int lab_record_format_begin(char *buf, size_t cap, const char *target, const char *kernel,
			    const char *arch, int cases)
{
	const char *pfx = "IOMMULAB-BEGIN ";
	struct lab_jw w;

	if (line_begin(&w, buf, cap, pfx))
		return -ENOSPC;
	lab_jw_kstr(&w, "target", target);
	lab_jw_kstr(&w, "kernel", kernel);
	lab_jw_kstr(&w, "arch", arch);
	lab_jw_kint(&w, "cases", cases);
	return line_end(&w, buf, cap, pfx);
}

int lab_record_format_end(char *buf, size_t cap, int records, const char *status)
{
	const char *pfx = "IOMMULAB-END ";
	struct lab_jw w;

	if (line_begin(&w, buf, cap, pfx))
		return -ENOSPC;
	lab_jw_kint(&w, "records", records);
	lab_jw_kstr(&w, "status", status);
	return line_end(&w, buf, cap, pfx);
}

int lab_record_write(int fd, const char *line, size_t len)
{
	ssize_t n;

	do {
		n = write(fd, line, len);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}
