/* SPDX-License-Identifier: GPL-2.0 */
/*
 * runlog.h - a run's log files as the job backends use them: read one
 * (bounded) into memory, and quote a printable excerpt of it in a reason.
 *
 * Purpose: the QEMU runner and the LAVA backend both explain a failed run
 * with the tail (or, for a kernel panic, the head) of a console or
 * preparation log appended to the run's reason, and both read the rig's
 * "not booted" line (a target known broken on its QEMU). One implementation
 * serves both, so reasons look the same whichever backend ran the job.
 *
 * Invariants: lab_runlog_read() never reads more than @max bytes (a longer
 * file is cut) and always NUL-terminates. lab_runlog_excerpt() never writes
 * past @cap bytes of @reason, keeps it NUL-terminated, and only appends
 * printable ASCII and '\n': carriage returns and terminal escape sequences
 * (ESC [ ... final byte, or ESC + one byte) are dropped, other control or
 * non-ASCII bytes become '?'.
 *
 * Ownership: lab_runlog_read() returns a malloc'd buffer the caller frees.
 * Nothing else is retained.
 *
 * Errors: lab_runlog_read() returns NULL (errno set) when the file cannot be
 * opened or the buffer not allocated; an excerpt of nothing is a no-op.
 */
#ifndef LAB_RUNLOG_H
#define LAB_RUNLOG_H

#include <stdbool.h>
#include <stddef.h>

/* at most @max bytes of @path, NUL-terminated; *@len_out (may be NULL) = bytes read */
char *lab_runlog_read(const char *path, size_t max, size_t *len_out);

/*
 * Append ": " and the first @max bytes of @text (@from_head) or ": ..." and
 * its last @max bytes to @reason, a buffer of @cap bytes. No-op when @text
 * is NULL or empty or @reason has fewer than 8 bytes left.
 */
void lab_runlog_excerpt(char *reason, size_t cap, const char *text, size_t max,
			bool from_head);

/*
 * Did the rig refuse to boot? A target known broken on the QEMU that would
 * run it (its "known_broken", docs/targets.md) is not booted: rig/boot (the
 * console log), rig/lava-qemu (LAVA's console) and rig/known-broken (the
 * LAVA backend's check before it submits) print the same line, worded by
 * rig/known-broken.sh:
 *   iommulab-boot: not booted: NAME is known broken on QEMU V: REASON (REF)
 * When @text (NULL: false) has that line at the start of a line, @reason (@cap
 * bytes) becomes "not booted: " and the rest of it, and the answer is true.
 */
#define LAB_RUNLOG_NOT_BOOTED "iommulab-boot: not booted: "
bool lab_runlog_not_booted(const char *text, char *reason, size_t cap);

#endif
