/* SPDX-License-Identifier: GPL-2.0 */
/*
 * api_health.h - target health routes (api_health.c; the rules are
 * flows/health.h's), listed in server/routes.c and docs/openapi.yaml.
 */
#ifndef LAB_API_HEALTH_H
#define LAB_API_HEALTH_H

#include "http.h"

/* GET /targets/{name}/health: {target, health, state, history} */
int lab_api_target_health(struct lab_req *rq, struct lab_resp *rs);
/* POST /targets/{name}/state {"state": "active|maintenance|retired", "reason"} */
int lab_api_target_state(struct lab_req *rq, struct lab_resp *rs);
/* POST /targets/{name}/check {"kernel"?, "cases"?}: 201 {target, job} */
int lab_api_target_check(struct lab_req *rq, struct lab_resp *rs);

#endif /* LAB_API_HEALTH_H */
