/* SPDX-License-Identifier: GPL-2.0 */
/*
 * likely.h - "likely commits" without bisecting (issue 17.4): for a change
 * between two refs of a tree, the commits that touch the driver's files or
 * the IOMMU core, ranked by whether their diff mentions the errno.
 *
 * Purpose: lab_likely() runs `git log` (argv only, gitrun.h) over FROM..TO
 * restricted to the driver's paths and the core's (kernels/driver-paths.txt:
 * data, not code), and with an errno E once more with -G'\bE\b' (the
 * commits whose diff adds or removes a line naming E). Ranking: driver
 * file + errno (3), core + errno (2), driver file only (1), core only (0);
 * newest first within a rank. At most @limit commits (all when they fit).
 *
 * JSON: {"tree", "from", "to", "from_commit", "to_commit", "driver",
 *   "errno": E|null, "paths": {"driver": [...], "core": [...]},
 *   "total": N (commits touching any path), "items": [{"commit",
 *   "subject", "author", "date", "driver_files": bool, "core_files": bool,
 *   "mentions_errno": bool, "rank"}]}
 *
 * Input: @tree as lab_git_tree_check, refs as lab_git_resolve, @driver a
 * driver named in driver-paths.txt, @errno_name an errno name (model.h) or
 * NULL. Errors: 0 or -errno; -EINVAL bad input (@err says why), -EIO git or
 * the data file failed.
 */
#ifndef LAB_LIKELY_H
#define LAB_LIKELY_H

#include <stddef.h>
#include <jansson.h>

#include "config.h"

#define LAB_LIKELY_MAX 500

int lab_likely(const struct lab_config *cfg, const char *tree, const char *from,
	       const char *to, const char *driver, const char *errno_name, size_t limit,
	       json_t **out, char *err, size_t errlen);

#endif /* LAB_LIKELY_H */
