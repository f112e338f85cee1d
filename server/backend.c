/* SPDX-License-Identifier: GPL-2.0 */
/*
 * backend.c - the table of backends and lab_backend_find() (backend.h).
 *
 * The LAVA backend is referenced weakly: a server library built before
 * backend_lava.c exists still links, and a "lava" target then fails with
 * "no backend of that name" instead of breaking the build.
 */
#include <stddef.h>
#include <string.h>

#include "backend.h"

#pragma weak lab_backend_lava

const struct lab_backend *lab_backend_find(const char *name)
{
	const struct lab_backend *all[] = { &lab_backend_qemu, &lab_backend_lava };
	size_t i;

	if (!name)
		return NULL;
	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (all[i] && all[i]->name && !strcmp(all[i]->name, name))
			return all[i];
	return NULL;
}
