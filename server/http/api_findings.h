/* SPDX-License-Identifier: GPL-2.0 */
/*
 * api_findings.h - the regression lifecycle's routes (api_findings.c),
 * listed in server/routes.c and docs/openapi.yaml. Handler convention as
 * in http.h: 0 with @rs filled, or -errno with rs->err. The rules are
 * core/findings.c's; writes need the admin scope (routes.c) and record the
 * token's name as who did them.
 */
#ifndef LAB_API_FINDINGS_H
#define LAB_API_FINDINGS_H

#include "http.h"

/* GET /findings[?state=open|fixed&target=&case=&driver=&expected=true|false&limit=&offset=] */
int lab_api_findings_list(struct lab_req *rq, struct lab_resp *rs);
/* GET /findings/{id}: the finding with its events and links */
int lab_api_finding_get(struct lab_req *rq, struct lab_resp *rs);
/* POST /findings/{id}/ack {"note"?} */
int lab_api_finding_ack(struct lab_req *rq, struct lab_resp *rs);
/* POST /findings/{id}/link {"url"} | {"msgid"} */
int lab_api_finding_link(struct lab_req *rq, struct lab_resp *rs);
/* POST /findings/{id}/expect {"reason"}: a known issue made from it */
int lab_api_finding_expect(struct lab_req *rq, struct lab_resp *rs);
/* GET /known-issues; POST /known-issues {driver, case, target, kernel_min,
 * kernel_max, reason} */
int lab_api_known_issues_list(struct lab_req *rq, struct lab_resp *rs);
int lab_api_known_issue_post(struct lab_req *rq, struct lab_resp *rs);
/* GET /known-issues/{id}: one, active or retired */
int lab_api_known_issue_get(struct lab_req *rq, struct lab_resp *rs);
/* POST /known-issues/{id}/retire {"reason"}: it matches nothing from now
 * on; 404 unknown, 409 retired already (nothing changed) */
int lab_api_known_issue_retire(struct lab_req *rq, struct lab_resp *rs);

#endif /* LAB_API_FINDINGS_H */
