/* SPDX-License-Identifier: GPL-2.0 */
/*
 * compat.h - the IOMMU API calls whose signature changed between the kernels
 * iommulab supports (6.1 .. current), behind one stable signature each.
 *
 * Which variant is used is decided by LAB_HAVE_* defines that Kbuild derives
 * from the target kernel's include/linux/iommu.h (feature detection, no
 * version numbers). Every wrapper returns exactly what the kernel returned;
 * the only translation is documented at lab_compat_domain_alloc().
 */
#ifndef LAB_PROBE_COMPAT_H
#define LAB_PROBE_COMPAT_H

#include <linux/device.h>
#include <linux/err.h>
#include <linux/gfp.h>
#include <linux/iommu.h>

#include "iommulab_probe.h"

#if !defined(LAB_HAVE_PAGING_DOMAIN_ALLOC) && !defined(LAB_HAVE_DOMAIN_ALLOC_BUS)
#error "iommulab_probe: kernel has neither iommu_paging_domain_alloc() nor iommu_domain_alloc(bus)"
#endif

/*
 * lab_compat_domain_alloc - a paging domain usable by @dev.
 * Returns the domain or an ERR_PTR. iommu_paging_domain_alloc() (6.11+)
 * reports its own errno. The older iommu_domain_alloc(bus) only returns NULL
 * on failure; that is reported as -ENOMEM, the one translation this module
 * makes (the legacy API has no errno to pass on).
 */
static inline struct iommu_domain *lab_compat_domain_alloc(struct device *dev)
{
#ifdef LAB_HAVE_PAGING_DOMAIN_ALLOC
	return iommu_paging_domain_alloc(dev);
#else
	struct iommu_domain *d = iommu_domain_alloc(dev->bus);

	return d ? d : ERR_PTR(-ENOMEM);
#endif
}

/* lab_compat_map - iommu_map() with or without the gfp argument (6.3+) */
static inline int lab_compat_map(struct iommu_domain *d, unsigned long iova,
				 phys_addr_t paddr, size_t size, int prot)
{
#ifdef LAB_HAVE_MAP_GFP
	return iommu_map(d, iova, paddr, size, prot, GFP_KERNEL);
#else
	return iommu_map(d, iova, paddr, size, prot);
#endif
}

/*
 * lab_compat_enforce_coherency - 0 when the domain now enforces cache
 * coherency, -EOPNOTSUPP when the driver refused or has no such op.
 */
static inline int lab_compat_enforce_coherency(struct iommu_domain *d)
{
#ifdef LAB_HAVE_ENFORCE_COHERENCY
	if (!d->ops || !d->ops->enforce_cache_coherency)
		return -EOPNOTSUPP;
	return d->ops->enforce_cache_coherency(d) ? 0 : -EOPNOTSUPP;
#else
	return -EOPNOTSUPP;
#endif
}

static inline u32 lab_compat_features(void)
{
	u32 f = 0;

#ifdef LAB_HAVE_PAGING_DOMAIN_ALLOC
	f |= IOMMULAB_FEAT_PAGING_DOMAIN_ALLOC;
#endif
#ifdef LAB_HAVE_DOMAIN_ALLOC_BUS
	f |= IOMMULAB_FEAT_DOMAIN_ALLOC_BUS;
#endif
#ifdef LAB_HAVE_DMA_OWNER
	f |= IOMMULAB_FEAT_DMA_OWNER;
#endif
	return f;
}

#endif /* LAB_PROBE_COMPAT_H */
