/* SPDX-License-Identifier: GPL-2.0 */
/*
 * patchmail.h - a patch check's report as a reply a maintainer can send
 * (issue 18.3): an RFC 5322 message (.eml) answering the series.
 *
 * Purpose: lab_patchmail_draft() reads the check's report (patch.h) and the
 * series the lab stored (STATE/patches/<sha16>/: series.mbox, or a
 * directory of patches named by its "series" file), and writes a reply:
 *   In-Reply-To / References  the cover letter's Message-ID (a "[PATCH 0/N]"
 *                             mail), else the first patch's, after that
 *                             mail's own References
 *   Subject                   "Re: " + that mail's subject
 *   To                        that mail's From
 *   Cc                        its To and Cc, and, when the series' tree has
 *                             scripts/get_maintainer.pl (a git checkout, or
 *                             debian-6.12 unpacked by kernels/build under
 *                             $CACHE/src/), the maintainers and lists it
 *                             names for the files the series touches
 *   body                      the quoted subject, the per-driver results
 *                             (lab_patch_report_text()), the reproduction
 *                             (`iommulab reproduce JOB` per job and the
 *                             report's URL), and a trailer: Tested-by when
 *                             the check passed (success or warning),
 *                             Reported-by when it failed
 * `git mailinfo` and b4 parse it (stage 66-patchmail).
 *
 * Invariants: no header value carries a CR, LF or other control byte
 * (values from the series are unfolded and cleaned); @from must be a
 * "Name <addr@host>" or "addr@host" of printable bytes. get_maintainer.pl
 * runs with an argument vector (no shell), from the tree's top, with a
 * 60 s limit; its failure only loses its Cc entries (logged).
 *
 * Ownership: *@out is malloc'd, NUL-terminated; the caller frees it.
 * Errors: 0 or -errno with @err: -ENOENT unknown or not a patch plan,
 * -EAGAIN the check is still running, -EINVAL a bad @from or a series
 * without a Message-ID (nothing to reply to), -EIO the stored series is gone.
 */
#ifndef LAB_PATCHMAIL_H
#define LAB_PATCHMAIL_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "config.h"
#include "store.h"

#define LAB_PATCHMAIL_FROM_DEFAULT "iommulab <iommulab@localhost>"

int lab_patchmail_draft(struct lab_store *st, const struct lab_config *cfg, int64_t plan_id,
			const char *dash, const char *from, char **out, char *err,
			size_t errlen);

/*
 * The mail a reply answers in patch plan spec @spec's stored series (the
 * cover letter, else the first mail with a Message-ID): its Message-ID and
 * Subject, unfolded and cleaned. -ENOENT: no mail has a Message-ID; -EIO:
 * the series is gone.
 */
int lab_patchmail_thread(const struct lab_config *cfg, json_t *spec, char *msgid,
			 size_t idlen, char *subject, size_t sublen);

/* is @from a usable From/trailer address (see above)? */
int lab_patchmail_from_check(const char *from, char *err, size_t errlen);

#endif /* LAB_PATCHMAIL_H */
