// SPDX-License-Identifier: GPL-2.0
/* probestep.c - a probe module command as one step of a case (probestep.h) */
#include "errnames.h"
#include "probestep.h"

enum lab_outcome lab_probestep(struct lab_result *r, const char *name, int ret,
			       const int *kres, int *err)
{
	if (ret)
		return lab_result_out(r, LAB_OUTCOME_ERROR, "%s: probe command refused: %s", name,
				      lab_errname(ret));
	*err = lab_result_step(r, name, *kres);
	return 0;
}

enum lab_outcome lab_probestep_verify_core(struct lab_probe *p, struct lab_result *r,
					   const struct lab_pcidev *d,
					   const struct lab_domain *dom)
{
	struct lab_domain cur;
	enum lab_outcome o;
	int kres = 0, err = 0;

	o = lab_probestep(r, "verify.core", lab_probe_domain_ident(p, d->bdf, &cur, &kres),
			  &kres, &err);
	if (o)
		return o;
	if (err)
		return lab_result_out(r, LAB_OUTCOME_ERROR, "domain_ident of %s failed: %s", d->bdf,
				      lab_errname(err));
	if (!cur.ident || cur.ident != dom->ident)
		return lab_result_out(r, LAB_OUTCOME_FAIL,
				      "driver reported success without attaching %s", d->bdf);
	r->verified = LAB_VERIFIED_CORE;
	return 0;
}
