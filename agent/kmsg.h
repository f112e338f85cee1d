/*
 * kmsg.h - the kernel's log as seen by one case: /dev/kmsg and the taint flags.
 *
 * Purpose: bracket a case with lab_kmsg_mark() (forget everything logged so
 * far) and lab_kmsg_collect() (every message the kernel logged since, one
 * line per printk record, in sequence order), and read
 * /proc/sys/kernel/tainted before and after it. The classifier (kreport.h)
 * works on the collected lines.
 *
 * Invariants: /dev/kmsg is opened once, non-blocking; each open file has its
 * own read position, so marking is an lseek(SEEK_END) and collecting reads
 * until EAGAIN: nothing logged between the two calls is missed unless the
 * ring buffer overwrote it (EPIPE: counted in @lost, reading goes on).
 * A line holds the message text only (no level, sequence or timestamp);
 * dictionary lines (" SUBSYSTEM=...") are dropped. Lines beyond
 * LAB_KMSG_LINES or LAB_KMSG_BUF bytes are counted in @dropped, never split.
 * Ownership: struct lab_kmsg owns its fd; struct lab_klines is plain data
 * the caller owns (large: keep it static or on the heap of a long-lived
 * object, not in a small stack).
 * Error convention: 0 or -errno.
 */
#ifndef LAB_KMSG_H
#define LAB_KMSG_H

#include <stddef.h>

#define LAB_KMSG_BUF	65536
#define LAB_KMSG_LINES	1024

struct lab_kmsg {
	int fd;			/* -1 when the kernel log cannot be read */
};

struct lab_klines {
	char buf[LAB_KMSG_BUF];	/* NUL-terminated lines, back to back */
	size_t used;
	int off[LAB_KMSG_LINES];	/* start of line i in buf */
	int level[LAB_KMSG_LINES];	/* syslog level 0..7 of line i */
	int n;
	int lost;		/* records the ring buffer overwrote before we read them */
	int dropped;		/* records that did not fit */
};

/* open @root/dev/kmsg (non-blocking) at the oldest record kept; -errno when absent */
int lab_kmsg_open(struct lab_kmsg *k, const char *root);
void lab_kmsg_close(struct lab_kmsg *k);

/* forget what was logged so far: the next collect starts here */
int lab_kmsg_mark(struct lab_kmsg *k);

/* read every record logged since the mark (or the last collect) into @out (reset first) */
int lab_kmsg_collect(struct lab_kmsg *k, struct lab_klines *out);

/* append one message line (also what collect uses); -ENOSPC when it does not fit */
int lab_klines_add(struct lab_klines *l, int level, const char *text, size_t len);

static inline const char *lab_klines_get(const struct lab_klines *l, int i)
{
	return l->buf + l->off[i];
}

/*
 * Split a kernel log text (dmesg or console output, one message per line)
 * into @out, dropping a leading "[ 12.345678] " timestamp and a "<N>" level
 * prefix: how the unit tests feed captured kernel text to the classifier.
 */
int lab_klines_from_text(struct lab_klines *out, const char *text);

/* /proc/sys/kernel/tainted under @root into *taint; -errno when unreadable */
int lab_taint_read(const char *root, unsigned long *taint);

#endif
