/* SPDX-License-Identifier: GPL-2.0 */
/*
 * names.h - the one name and text rule of iommulab: which bytes a kernel,
 * target, token, plan, case, case filter, release, version, source ref,
 * tree, patch file or package name may hold, and how ids and integers are
 * written. The API, the CLI, the store and the runner all ask this module,
 * so what the runner would refuse the API refuses first (400), with the
 * rule in the message (and the same words in docs/openapi.yaml).
 *
 * The rules are one const table (names.c), one row per kind: the bytes
 * allowed, the bytes allowed first, the length range, flags, and the rule
 * in words. Depends on libc only.
 *
 * Invariants: every kind refuses NULL, the empty string and any byte below
 * 0x20 or 0x7f (NUL included: a length-checked string with a NUL inside
 * never passes); no kind lets a value start with '-' (never an option to a
 * program) and no path-like kind lets a value hold a ".." component.
 *
 * Ownership: nothing is allocated; messages are written into the caller's
 * buffer. Errors: 0 or -EINVAL.
 */
#ifndef LAB_NAMES_H
#define LAB_NAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum lab_name_kind {
	LAB_NAME_KERNEL,	/* a registered kernel: "6.12", "6.12-arm64", "base-<sha12>" */
	LAB_NAME_TARGET,	/* a target: "q35-vtd" */
	LAB_NAME_TOKEN,		/* an API token's name: "runner" */
	LAB_NAME_PLAN,		/* a plan's (or patch's) display name: free text, one line */
	LAB_NAME_TEXT,		/* a reason or a description: free text, one line */
	LAB_NAME_CASE,		/* a case id: "kmod.attach.one" */
	LAB_NAME_CASE_FILTER,	/* a case filter: "kmod.*,vfio.type1.*" */
	LAB_NAME_RELEASE,	/* a kernel release (uname -r): "6.12.117+deb12-amd64" */
	LAB_NAME_VERSION,	/* a kernel version: "6.1.192", "6.12.117-1~bpo12+1" */
	LAB_NAME_TREE,		/* a source tree: "debian-6.12" or /abs/git/checkout[@ref] */
	LAB_NAME_PATH,		/* an absolute path the lab wrote: "/var/.../series.mbox" */
	LAB_NAME_URL,		/* a kernel's download URL: "https://host/path" */
	LAB_NAME_PACKAGE,	/* a Debian package name: "linux-image-6.1.0-56-amd64-unsigned" */
	LAB_NAME_PATCH_FILE,	/* one file of a series: "0001-iommu-fix.patch" */
	LAB_NAME_SHA256,	/* a SHA-256 in hex, lowercase */
	LAB_NAME_DRIVER,	/* an IOMMU driver: "intel-iommu", "arm-smmu-v3" */
	LAB_NAME_PATTERN,	/* a known issue's case or target glob: "kmod.attach.*,q35-*" */
	LAB_NAME_MSGID,		/* a mail's Message-ID without <>: "20261203.1234-1-a@b.org" */
	LAB_NAME__COUNT
};

/* what the kind is called in messages: "kernel name" */
const char *lab_name_what(enum lab_name_kind k);

/* the rule in words: "1-64 bytes of [A-Za-z0-9._+-], starting with a letter or digit" */
const char *lab_name_rule(enum lab_name_kind k);

/* does @s (NUL-terminated) follow the rule of @k? NULL -> false */
bool lab_name_ok(enum lab_name_kind k, const char *s);

/* the same for @len bytes at @s (a NUL among them -> false) */
bool lab_name_ok_n(enum lab_name_kind k, const char *s, size_t len);

/*
 * 0 when @s follows the rule of @k; else -EINVAL and, in @err (when not
 * NULL), "<field>: <what> '<s>' refused: <rule>" with @s cut to 64 bytes and
 * its non-printable bytes shown as '?'. @field names where the value came
 * from ("\"name\"", "kernels[1]"); NULL leaves it out.
 */
int lab_name_check(enum lab_name_kind k, const char *field, const char *s,
		   char *err, size_t errlen);

/*
 * A kernel's source_ref, checked by its source: "build" -> a recipe
 * "tree=<TREE>[;patches=<PATH>|none]", "url" -> URL, "debian" -> PACKAGE.
 * An unknown @source -> -EINVAL. @err as lab_name_check().
 */
int lab_name_check_source_ref(const char *source, const char *ref, char *err,
			      size_t errlen);

/*
 * Ids and integer arguments: digits only (no sign, no white space, no
 * leading zero but "0" itself), at most @max. 0 with *@out set, or -EINVAL
 * (also for NULL and "").
 */
int lab_name_uint(const char *s, uint64_t max, uint64_t *out);

/* the same for @len bytes at @s */
int lab_name_uint_n(const char *s, size_t len, uint64_t max, uint64_t *out);

#endif /* LAB_NAMES_H */
