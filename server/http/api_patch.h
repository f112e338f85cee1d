/* SPDX-License-Identifier: GPL-2.0 */
/*
 * api_patch.h - per-patch validation routes (api_patch.c), listed in api.c's
 * route table and docs/openapi.yaml. Handler convention as in http.h: 0 with
 * @rs filled, or -errno with rs->err. The work is patch.c's.
 */
#ifndef LAB_API_PATCH_H
#define LAB_API_PATCH_H

#include "http.h"

/* POST /api/v1/patches {base, series, targets, ...} -> 201 the patch plan */
int lab_api_patch_post(struct lab_req *rq, struct lab_resp *rs);
/* GET /api/v1/patches?limit=N -> {"items", "next_cursor": null, "count"} */
int lab_api_patch_list(struct lab_req *rq, struct lab_resp *rs);
/* GET /api/v1/patches/{plan}[?format=text] -> the report (patch.h) */
int lab_api_patch_get(struct lab_req *rq, struct lab_resp *rs);
/* GET /api/v1/jobs/{id}/prep-log[?offset=N] -> the job's preparation log
 * (kernels/build progress for built kernels), text */
int lab_api_job_prep_log(struct lab_req *rq, struct lab_resp *rs);

#endif /* LAB_API_PATCH_H */
