/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hwpt.h - HWPT_IDENT's lookup: the iommu_domain an IOMMUFD hw_pagetable holds.
 *
 * Purpose: the agent verifies an IOMMUFD attach by comparing the domain the
 * core reports for the device (DOMAIN_IDENT) with the domain of the
 * hw_pagetable the case attached it to; this is the second half.
 *
 * Availability: iommufd exports no lookup of its objects, so hwpt.c reads
 * iommufd's own object table through drivers/iommu/iommufd/iommufd_private.h
 * of the kernel it is built against. Kbuild finds that header only in a full
 * kernel tree (the lab's kernels/build kernels, IOMMUFD=y), never in Debian's
 * headers packages; without it, or without CONFIG_IOMMUFD, the op does not
 * exist (-EOPNOTSUPP, like any unknown op) and the agent reports the attach
 * unverified.
 *
 * Error convention: 0, or -errno for a malformed command: -EBADF @fd is not
 * an open /dev/iommu of the caller, -ENOENT no hw_pagetable @id in it,
 * -EOPNOTSUPP built without iommufd's internals.
 */
#ifndef LAB_PROBE_HWPT_H
#define LAB_PROBE_HWPT_H

#include <linux/iommu.h>
#include <linux/types.h>

/*
 * lab_hwpt_domain - the domain of hw_pagetable @id in the caller's iommufd @fd.
 * *@domain receives the pointer's value only: it is for identity (hashing),
 * never to be dereferenced after the call; *@type its IOMMU_DOMAIN_* type.
 */
int lab_hwpt_domain(int fd, u32 id, const struct iommu_domain **domain, u32 *type);

#endif
