/* SPDX-License-Identifier: GPL-2.0 */
/*
 * iommulab_record.h - the names of the record format (docs/records.md),
 * shared by the on-target agent (agent/) and the server (server/core/model.c)
 * the way kmods/uapi/iommulab_probe.h is shared by the module and the agent.
 *
 * Purpose: a record carries verdicts and errnos by name ("fail",
 * "EOPNOTSUPP"); the agent writes those names and the server reads them
 * back, so both take them from this one list.
 *
 * Invariants:
 *  - LAB_RECORD_VERDICTS lists the verdict words in the order of their
 *    number on the wire and in the results table (pass 0 .. error 3, crash 4, warn 5:
 *    the kernel oopsed / warned during the case, docs/records.md); a new
 *    verdict is appended, never inserted.
 *  - LAB_RECORD_ERRNOS lists the errnos a record names, each by its libc
 *    constant; aliases that share a value with a listed name (EWOULDBLOCK,
 *    EDEADLOCK, ENOTSUP) are left out so a value has exactly one name.
 *    0 is "OK". Numbers are the libc's of the side that compiles this, so
 *    the agent names the target's numbering.
 *  - Header only, libc only (<errno.h>, <stddef.h>, <string.h>): nothing
 *    here allocates, logs or depends on either side.
 *
 * Ownership: every returned name is a static string.
 */
#ifndef IOMMULAB_RECORD_H
#define IOMMULAB_RECORD_H

#include <errno.h>
#include <stddef.h>
#include <string.h>

/* X(word): the verdicts, in stored order */
#define LAB_RECORD_VERDICTS(X) X("pass") X("fail") X("skip") X("error") \
	X("crash") X("warn")

/* X(constant): every errno a record names (besides 0 = "OK") */
#define LAB_RECORD_ERRNOS(X) \
	X(EPERM) X(ENOENT) X(ESRCH) X(EINTR) X(EIO) X(ENXIO) X(E2BIG) \
	X(ENOEXEC) X(EBADF) X(ECHILD) X(EAGAIN) X(ENOMEM) X(EACCES) X(EFAULT) \
	X(ENOTBLK) X(EBUSY) X(EEXIST) X(EXDEV) X(ENODEV) X(ENOTDIR) X(EISDIR) \
	X(EINVAL) X(ENFILE) X(EMFILE) X(ENOTTY) X(ETXTBSY) X(EFBIG) X(ENOSPC) \
	X(ESPIPE) X(EROFS) X(EMLINK) X(EPIPE) X(EDOM) X(ERANGE) X(EDEADLK) \
	X(ENAMETOOLONG) X(ENOLCK) X(ENOSYS) X(ENOTEMPTY) X(ELOOP) X(ENOMSG) \
	X(EIDRM) X(ENOSTR) X(ENODATA) X(ETIME) X(ENOSR) X(ENOLINK) X(EPROTO) \
	X(EBADMSG) X(EOVERFLOW) X(EILSEQ) X(EUSERS) X(ENOTSOCK) \
	X(EDESTADDRREQ) X(EMSGSIZE) X(EPROTOTYPE) X(ENOPROTOOPT) \
	X(EPROTONOSUPPORT) X(EOPNOTSUPP) X(EAFNOSUPPORT) X(EADDRINUSE) \
	X(EADDRNOTAVAIL) X(ENETDOWN) X(ENETUNREACH) X(ECONNRESET) X(ENOBUFS) \
	X(EISCONN) X(ENOTCONN) X(ETIMEDOUT) X(ECONNREFUSED) X(EHOSTUNREACH) \
	X(EALREADY) X(EINPROGRESS) X(ESTALE) X(EDQUOT) X(ECANCELED) \
	X(EMEDIUMTYPE) X(ENOMEDIUM) X(EOWNERDEAD) X(ENOTRECOVERABLE) \
	X(EHWPOISON)

#define LAB_RECORD_VERDICT_WORD_(w) w,
static const char *const lab_record_verdict_words[] = {
	LAB_RECORD_VERDICTS(LAB_RECORD_VERDICT_WORD_)
};
#undef LAB_RECORD_VERDICT_WORD_
#define LAB_RECORD_NVERDICTS \
	(sizeof(lab_record_verdict_words) / sizeof(lab_record_verdict_words[0]))

/* the word of verdict number @v (0 = pass), NULL when there is none */
static inline const char *lab_record_verdict_word(int v)
{
	if (v < 0 || (size_t)v >= LAB_RECORD_NVERDICTS)
		return NULL;
	return lab_record_verdict_words[v];
}

/* the number of verdict word @s, -1 when it is none */
static inline int lab_record_verdict_number(const char *s)
{
	for (size_t i = 0; s && i < LAB_RECORD_NVERDICTS; i++)
		if (strcmp(s, lab_record_verdict_words[i]) == 0)
			return (int)i;
	return -1;
}

/* the name of errno @e >= 0 ("OK" for 0), NULL when it is not listed */
static inline const char *lab_record_errno_name(int e)
{
#define LAB_RECORD_ERRNO_CASE_(c) case c: return #c;
	switch (e) {
	case 0: return "OK";
	LAB_RECORD_ERRNOS(LAB_RECORD_ERRNO_CASE_)
	}
#undef LAB_RECORD_ERRNO_CASE_
	return NULL;
}

#endif /* IOMMULAB_RECORD_H */
