/* SPDX-License-Identifier: GPL-2.0 */
/*
 * api_bisect.h - bisection routes (api_bisect.c), listed in routes.c and
 * docs/openapi.yaml. Handler convention as in http.h: 0 with @rs filled, or
 * -errno with rs->err. The work is flows/bisect.c's (it checks every key
 * of the body before it writes anything) and flows/likely.c's.
 */
#ifndef LAB_API_BISECT_H
#define LAB_API_BISECT_H

#include "http.h"

/* POST /api/v1/bisections {tree, good, bad, target, case, expect|verdict,
 * repeat} -> 201 the bisection (bisect.h) */
int lab_api_bisect_post(struct lab_req *rq, struct lab_resp *rs);
/* GET /api/v1/bisections?limit=N -> {"items", "count", "next_cursor": null} */
int lab_api_bisect_list(struct lab_req *rq, struct lab_resp *rs);
/* GET /api/v1/bisections/{id}[?format=text] */
int lab_api_bisect_get(struct lab_req *rq, struct lab_resp *rs);

/* POST /api/v1/bisections/{id}/cancel -> the bisection, canceled (its open
 * step's job canceled on the scheduler) */
int lab_api_bisect_cancel(struct lab_req *rq, struct lab_resp *rs);
/* POST /api/v1/likely {tree, from, to, driver, errno?, limit?} -> likely
 * commits (likely.h); a POST with a token: the server reads a local tree */
int lab_api_likely_post(struct lab_req *rq, struct lab_resp *rs);

#endif /* LAB_API_BISECT_H */
