// SPDX-License-Identifier: GPL-2.0
/*
 * hwpt.c - HWPT_IDENT's lookup (see hwpt.h).
 *
 * Locking: the object is looked up and its domain read under the xarray
 * lock of the iommufd context. iommufd takes an object out of that table
 * (under the same lock) before it destroys it, and a table entry still
 * being allocated is a zero entry (xa_load() gives NULL), so whatever is
 * found is a live, finalized hw_pagetable whose domain outlives the read.
 * The context itself is pinned by iommufd_ctx_from_fd() until the put.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>

#include "hwpt.h"

#if defined(LAB_HAVE_IOMMUFD_PRIV) && IS_ENABLED(CONFIG_IOMMUFD)
#include <linux/iommufd.h>
#include "iommufd_private.h"	/* -I the kernel tree's drivers/iommu/iommufd */

#ifdef LAB_NS_TOKEN
MODULE_IMPORT_NS(IOMMUFD);
#else
MODULE_IMPORT_NS("IOMMUFD");
#endif

int lab_hwpt_domain(int fd, u32 id, const struct iommu_domain **domain, u32 *type)
{
	struct iommufd_hw_pagetable *hwpt;
	struct iommufd_object *obj;
	struct iommufd_ctx *ictx;
	int ret = -ENOENT;

	ictx = iommufd_ctx_from_fd(fd);
	if (IS_ERR(ictx))
		return -EBADF;
	xa_lock(&ictx->objects);
	obj = xa_load(&ictx->objects, id);
	if (obj && (obj->type == IOMMUFD_OBJ_HWPT_PAGING ||
		    obj->type == IOMMUFD_OBJ_HWPT_NESTED)) {
		hwpt = container_of(obj, struct iommufd_hw_pagetable, obj);
		*domain = hwpt->domain;
		*type = hwpt->domain ? hwpt->domain->type : 0;
		ret = hwpt->domain ? 0 : -ENOENT;
	}
	xa_unlock(&ictx->objects);
	iommufd_ctx_put(ictx);
	return ret;
}
#else
int lab_hwpt_domain(int fd, u32 id, const struct iommu_domain **domain, u32 *type)
{
	return -EOPNOTSUPP;
}
#endif
