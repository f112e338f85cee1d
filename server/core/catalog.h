/* SPDX-License-Identifier: GPL-2.0 */
/*
 * catalog.h - import the case catalogue the agent lists (agent -l -j).
 *
 * Purpose: POST /cases hands the agent's catalogue here: an array of cases
 * or {"cases": [...]}, each {"id", "title"?, "contracts"?, ...}. Every
 * entry is validated first (a bad one imports nothing), then all are
 * upserted in one store transaction. The names keep the store's prefix
 * for their callers.
 *
 * Errors: 0 or -errno; -EINVAL with a one-line reason in @err (when given).
 */
#ifndef LAB_CATALOG_H
#define LAB_CATALOG_H

#include <stddef.h>
#include <jansson.h>

struct lab_store;

int lab_store_cases_import_ex(struct lab_store *st, json_t *catalogue,
			      int *imported, char *err, size_t errlen);
int lab_store_cases_import(struct lab_store *st, json_t *catalogue);
/* the catalogue in file @path (iommulab-agent -l -j > FILE); -ENOENT no file */
int lab_catalog_import_file(struct lab_store *st, const char *path, int *imported,
			    char *err, size_t errlen);

#endif /* LAB_CATALOG_H */
