/*
 * errnames.c - errno names (see errnames.h).
 *
 * The names are the record format's list in include/iommulab_record.h
 * (the errnos the IOMMU subsystem, VFIO and IOMMUFD can return plus the
 * common rest), the one the server reads records with.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errnames.h"
#include "iommulab_record.h"

/* the record format's list (include/iommulab_record.h), shared with the server */
static const char *known_name(int err)
{
	return lab_record_errno_name(err);
}

const char *lab_errname(int err)
{
	static __thread char unknown[24];
	const char *n;

	if (err < 0)
		err = -err;
	n = known_name(err);
	if (n)
		return n;
	snprintf(unknown, sizeof(unknown), "E?%d", err);
	return unknown;
}

int lab_errno_parse(const char *name, int *err)
{
	char *end;
	long v;
	int i;

	if (!name || !*name)
		return -EINVAL;
	if (name[0] >= '0' && name[0] <= '9') {
		errno = 0;
		v = strtol(name, &end, 10);
		if (errno || *end || v < 0 || v > 4095)
			return -EINVAL;
		*err = (int)v;
		return 0;
	}
	/* kernel errnos are < 4096; scan the switch instead of a second table */
	for (i = 0; i < 4096; i++) {
		const char *n = known_name(i);

		if (n && strcmp(n, name) == 0) {
			*err = i;
			return 0;
		}
	}
	return -EINVAL;
}
