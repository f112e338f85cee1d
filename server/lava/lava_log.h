/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lava_log.h - turn a LAVA job log back into the guest's console text.
 *
 * Purpose: LAVA (2023.01) keeps a job's log as YAML, one record per line:
 *   - {"dt": "2026-...", "lvl": "target", "msg": "...one console line..."}
 * (PyYAML double-quoted flow style, keys sorted). The console lines are the
 * "target" records, and "feedback" records (key "ns" after "msg") for what
 * LAVA reads between actions: the rest of the line a monitor's end pattern
 * matched (IOMMULAB-END) often lands there. Before logging them LAVA's ShellLogger drops "\r" and
 * ESC, folds "\n\n" and prefixes every '"' with a backslash "for YAML". This
 * module undoes both layers: YAML double-quoted escapes (\\ \" \xXX \uXXXX
 * \UXXXXXXXX \n \t \e \N \_ \L \P ...) and then the ShellLogger's extra
 * backslash before each '"' (every '"' in the logged text got exactly one,
 * so removing one before each restores the original). The result feeds the
 * same record scanner (record.h) as the QEMU runner's serial log, so the
 * stored results of a LAVA run equal those of a local run.
 *
 * Invariants: input is untrusted (from the network): lines that are not a
 * well-formed "target" record are skipped and counted, never trusted;
 * nothing is read beyond @len; NUL bytes in input end nothing early.
 *
 * Ownership: *@out is malloc'd (NUL-terminated, *@out_len bytes without the
 * NUL) and freed by the caller.
 *
 * Errors: 0 or -errno (-EINVAL args, -ENOMEM, -EFBIG output above
 * LAB_LAVA_LOG_MAX).
 */
#ifndef LAB_LAVA_LOG_H
#define LAB_LAVA_LOG_H

#include <stddef.h>

#define LAB_LAVA_LOG_MAX (256u << 20)

struct lab_lava_log_stats {
	size_t lines;		/* input lines */
	size_t target;		/* console lines recovered */
	size_t skipped;		/* "target" lines that did not decode */
};

int lab_lava_log_console(const char *yaml, size_t len, char **out,
			 size_t *out_len, struct lab_lava_log_stats *stats);

#endif /* LAB_LAVA_LOG_H */
