/* SPDX-License-Identifier: GPL-2.0 */
/*
 * backend.c - the table of backends and lab_backend_find() (backend.h).
 *
 * Every backend named here is linked into every program that schedules
 * (a strong reference: the static library's member is always pulled in).
 * Ownership: the table and the backends are static. Errors: NULL for an
 * unknown name.
 */
#include <stddef.h>
#include <string.h>

#include "backend.h"

const struct lab_backend *lab_backend_find(const char *name)
{
	static const struct lab_backend *const all[] = {
		&lab_backend_qemu,
		&lab_backend_lava,
	};
	size_t i;

	if (!name)
		return NULL;
	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (all[i]->name && !strcmp(all[i]->name, name))
			return all[i];
	return NULL;
}
