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

static int format_rec(const struct lab_record *rec, char *buf, size_t cap, int with_steps)
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
	return line_end(&w, buf, cap, PREFIX_REC);
}

int lab_record_format(const struct lab_record *rec, char *buf, size_t cap)
{
	int n = format_rec(rec, buf, cap, 1);

	if (n == -ENOSPC)
		n = format_rec(rec, buf, cap, 0);
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
