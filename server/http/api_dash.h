/* SPDX-License-Identifier: GPL-2.0 */
/*
 * api_dash.h - dashboard read routes (api_dash.c), listed in api.c's route
 * table and docs/openapi.yaml. Handler convention as in http.h: 0 with @rs
 * filled, or -errno with rs->err.
 */
#ifndef LAB_API_DASH_H
#define LAB_API_DASH_H

#include "http.h"

/* GET /api/v1/overview?nightlies=N: conformance per vendor/driver, trend, regressions */
int lab_api_dash_overview(struct lab_req *rq, struct lab_resp *rs);

#endif /* LAB_API_DASH_H */
