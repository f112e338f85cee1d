/* SPDX-License-Identifier: GPL-2.0 */
/*
 * api.h - the REST API's handlers (prefix /api/v1), described in
 * docs/openapi.yaml. The route table itself is lab_api_routes (http.h).
 *
 * Conventions: lists answer {"items": [...], "next_cursor": ID|null};
 * paging by limit/offset or cursor (items older than that id). Reads are
 * public; writes need a bearer token with scope "admin" (results ingest
 * also accepts scope "ingest"). Errors: {"error": "...", "detail": ...}.
 */
#ifndef LAB_API_H
#define LAB_API_H

#include "http.h"

#define LAB_API_VERSION "1"
#define LAB_API_PREFIX "/api/v1"

#endif /* LAB_API_H */
