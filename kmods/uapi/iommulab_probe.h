/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * iommulab_probe.h - the one interface between the iommulab_probe kernel
 * module (kmods/iommulab_probe/) and the on-target agent (agent/).
 *
 * Purpose: let userspace drive in-kernel IOMMU API calls (domain alloc,
 * map/unmap, enforce cache coherency, attach/detach, DMA ownership) and read
 * back the kernel's errno unchanged, so the agent can test the attach errno
 * contract of every IOMMU driver.
 *
 * Transport: the misc device /dev/iommulab_probe. One ioctl,
 * IOMMULAB_PROBE_CMD, carries a struct iommulab_probe_cmd.
 *
 * ABI rules (modelled on iommufd's selftest command):
 *  - The struct is size-first: userspace sets @size to sizeof() of the struct
 *    it was built with. The module rejects a @size smaller than the v1 struct
 *    (-EINVAL) and requires bytes beyond what it knows to be zero (-E2BIG).
 *  - Ops are numbered from 1 and never renumbered; a new op is appended.
 *    An op the module does not know returns -EOPNOTSUPP.
 *  - __reserved fields must be zero on input (-EINVAL otherwise).
 *  - The ioctl's return value is 0 when the command was carried out and the
 *    kernel call's result is in @result; it is -1/errno only when the command
 *    itself was malformed (bad size, unknown op, bad handle, unknown device).
 *    @result holds the IOMMU API's return value UNCHANGED (0 or -errno), so a
 *    probe never hides or rewrites what the driver said.
 *  - Domain handles are small integers (>= 1) local to one open file. Closing
 *    the file (or unloading the module) detaches and frees every domain the
 *    file still holds and releases any DMA ownership it claimed.
 *
 * Device naming: @bus selects the bus, @name is the device's name on it
 * (for PCI "0000:00:03.0", for platform devices the platform device name).
 *
 * Errnos of a malformed command (ioctl returns -1, @result untouched), as
 * implemented by kmods/iommulab_probe (added, no change to the rules above):
 *   EINVAL      @size too small, nonzero __reserved, unknown @bus, @name
 *               empty or not NUL-terminated, MAP/UNMAP length 0, not
 *               page-aligned, above 4 MiB (MAP) or wrapping, bad map.prot,
 *               DMA_CHECK iova not page-aligned
 *   E2BIG       bytes beyond the known struct are not zero
 *   EOPNOTSUPP  unknown op
 *   EPERM       FAULT without the module parameter fault_ops=1
 *   ENOENT      no domain with that handle in this file; DETACH_* of a
 *               device/group not attached through that handle; RELEASE of
 *               DMA ownership this file did not claim (the module never calls
 *               the kernel for these: the core would WARN)
 *   ENODEV      no such device; *_GROUP and *_DMA_OWNER on a device without
 *               an IOMMU group
 *   ENOTTY      another ioctl number
 * Op notes:
 *   DOMAIN_ALLOC  kernels with only iommu_domain_alloc(bus) return NULL on
 *                 failure; that one case is reported as -ENOMEM.
 *   DOMAIN_FREE   detaches whatever this file attached to it first.
 *   MAP           one contiguous zeroed allocation per MAP; a domain whose
 *                 ENFORCE_COHERENCY succeeded maps with IOMMU_CACHE (as VFIO).
 *   HWPT_IDENT    (op 17) exists only in a module built against a full
 *                 kernel tree with IOMMUFD (kernels/build); elsewhere it is
 *                 an unknown op (EOPNOTSUPP). Malformed: EBADF hwpt.iommufd
 *                 is not an open /dev/iommu of the caller, ENOENT no
 *                 hw_pagetable hwpt.hwpt_id in it. @result is 0.
 *   DMA_CHECK     maps two fresh pages at dma.iova and dma.iova + PAGE_SIZE
 *                 (so that range must be unmapped; a failing map reports the
 *                 map's errno), copies 2 KiB through QEMU's edu device and
 *                 back, compares, unmaps. @result: 0 arrived, -EIO did not
 *                 (or the device's current domain is identity/none: no DMA
 *                 is attempted then), -ENODEV not an edu, -EBUSY a driver is
 *                 bound to the device, -ETIMEDOUT edu never finished. edu
 *                 masks DMA addresses to 28 bits unless the target sets its
 *                 dma_mask property: keep dma.iova + 8 KiB below 2^28.
 * Kernel code: 'current' below is a macro in the kernel; include this header
 * before any kernel header there, and use the identically typed member
 * 'domain' in its place.
 */
#ifndef _UAPI_IOMMULAB_PROBE_H
#define _UAPI_IOMMULAB_PROBE_H

#include <linux/types.h>
#include <linux/ioctl.h>

#define IOMMULAB_PROBE_ABI_VERSION	1
#define IOMMULAB_PROBE_DEVNAME		"iommulab_probe"
#define IOMMULAB_PROBE_NAME_MAX		48

enum iommulab_probe_bus {
	IOMMULAB_BUS_PCI = 1,
	IOMMULAB_BUS_PLATFORM = 2,
};

enum iommulab_probe_op {
	/* out: version.abi, version.kernel_features */
	IOMMULAB_OP_VERSION = 1,
	/* in: dev; out: dev_info */
	IOMMULAB_OP_DEV_INFO = 2,
	/* in: dev (paging domain for this device); out: domain.handle, domain.ident */
	IOMMULAB_OP_DOMAIN_ALLOC = 3,
	/* in: domain.handle */
	IOMMULAB_OP_DOMAIN_FREE = 4,
	/* in: map.handle, map.iova, map.length, map.prot; the module backs it with its own pages */
	IOMMULAB_OP_MAP = 5,
	/* in: map.handle, map.iova, map.length; out: map.length = bytes unmapped */
	IOMMULAB_OP_UNMAP = 6,
	/* in: domain.handle; result: 0 if enforced, -EOPNOTSUPP if the driver refused */
	IOMMULAB_OP_ENFORCE_COHERENCY = 7,
	/* in: dev, attach.handle; iommu_attach_device() */
	IOMMULAB_OP_ATTACH_DEV = 8,
	/* in: dev, attach.handle; iommu_detach_device() */
	IOMMULAB_OP_DETACH_DEV = 9,
	/* in: dev (any device of the group), attach.handle; iommu_attach_group() */
	IOMMULAB_OP_ATTACH_GROUP = 10,
	/* in: dev, attach.handle; iommu_detach_group() */
	IOMMULAB_OP_DETACH_GROUP = 11,
	/* in: dev; iommu_group_claim_dma_owner() of the device's group */
	IOMMULAB_OP_CLAIM_DMA_OWNER = 12,
	/* in: dev; iommu_group_release_dma_owner() */
	IOMMULAB_OP_RELEASE_DMA_OWNER = 13,
	/* in: dev; out: current (identity of the domain the device sits in now) */
	IOMMULAB_OP_DOMAIN_IDENT = 14,
	/*
	 * in: dev, dma.handle, dma.iova; proves by real DMA (QEMU's "edu"
	 * device) that the device translates through the domain: result 0 when
	 * the data written through the IOVA arrived, -EIO when it did not,
	 * -ENODEV when the device cannot do test DMA.
	 */
	IOMMULAB_OP_DMA_CHECK = 15,
	/*
	 * TEST ONLY, in: fault.kind (enum iommulab_fault_kind): make the kernel
	 * misbehave on purpose, lkdtm-style, so the lab's crash detection can
	 * be tested on real kernels. Refused with EPERM unless the module was
	 * loaded with fault_ops=1 (rig/init.sh passes it only when a run asks
	 * for a kernel fault: iommulab.fault=warn|oops|kpanic). WARN: WARN()s
	 * once per call, result 0; OOPS: dereferences NULL in process context
	 * (the calling task dies, no lock of the module is held); PANIC:
	 * panic(). Unknown kind or nonzero fault.__reserved: EINVAL.
	 */
	IOMMULAB_OP_FAULT = 16,
	/*
	 * in: hwpt.iommufd (an fd of /dev/iommu in the caller), hwpt.hwpt_id;
	 * out: hwpt.domain: identity and type of the iommu_domain that
	 * hw_pagetable holds (handle 0), comparable with DOMAIN_IDENT's: a
	 * device attached to that hw_pagetable must report the same ident
	 */
	IOMMULAB_OP_HWPT_IDENT = 17,
};

enum iommulab_fault_kind {
	IOMMULAB_FAULT_WARN = 1,
	IOMMULAB_FAULT_OOPS = 2,
	IOMMULAB_FAULT_PANIC = 3,
};

/* kernel_features bits, what the module was built with (feature-detected) */
#define IOMMULAB_FEAT_PAGING_DOMAIN_ALLOC	(1u << 0) /* iommu_paging_domain_alloc(dev) */
#define IOMMULAB_FEAT_DOMAIN_ALLOC_BUS		(1u << 1) /* iommu_domain_alloc(bus) */
#define IOMMULAB_FEAT_DMA_OWNER			(1u << 2) /* iommu_group_claim_dma_owner() */

/* dev_info.flags */
#define IOMMULAB_DEV_HAS_GROUP		(1u << 0)
#define IOMMULAB_DEV_HAS_IOMMU		(1u << 1)

/* map.prot, same meaning as the kernel's IOMMU_READ/IOMMU_WRITE */
#define IOMMULAB_PROT_READ	(1u << 0)
#define IOMMULAB_PROT_WRITE	(1u << 1)

struct iommulab_probe_dev {
	__u32 bus;				/* enum iommulab_probe_bus */
	__u32 __reserved;
	char name[IOMMULAB_PROBE_NAME_MAX];	/* NUL-terminated */
};

/*
 * Identity of a domain: @ident is opaque and stable for the domain's
 * lifetime (a keyed hash of the kernel pointer, never the pointer itself);
 * two devices with the same @ident sit in the same domain. @handle is this
 * file's handle for it, or 0 when the domain was not allocated through this
 * file (a DMA-API default domain, a VFIO domain, ...). @type is the kernel's
 * IOMMU_DOMAIN_* value. @ident is 0 when the device has no domain.
 */
struct iommulab_probe_domain {
	__u32 handle;
	__u32 type;
	__u64 ident;
};

struct iommulab_probe_cmd {
	__u32 size;		/* sizeof(struct iommulab_probe_cmd) */
	__u32 op;		/* enum iommulab_probe_op */
	__s32 result;		/* out: the kernel call's 0 or -errno, unchanged */
	__u32 __reserved;
	struct iommulab_probe_dev dev;
	union {
		struct {
			__u32 abi;
			__u32 kernel_features;
			char release[64];	/* utsname()->release of the build */
		} version;
		struct {
			__u32 flags;		/* IOMMULAB_DEV_* */
			__s32 group_id;		/* iommu_group_id(), -1 when none */
			__u32 group_devices;	/* devices in the group */
			__u32 __reserved;
			char iommu[IOMMULAB_PROBE_NAME_MAX];	/* IOMMU instance name, "" if none */
			char driver[IOMMULAB_PROBE_NAME_MAX];	/* IOMMU driver name, "" if none */
		} dev_info;
		struct iommulab_probe_domain domain;
		struct iommulab_probe_domain current;
		struct {
			__u32 handle;
			__u32 prot;
			__u64 iova;
			__u64 length;
		} map;
		struct {
			__u32 handle;
			__u32 __reserved;
		} attach;
		struct {
			__u32 handle;
			__u32 __reserved;
			__u64 iova;
		} dma;
		struct {
			__u32 kind;		/* enum iommulab_fault_kind */
			__u32 __reserved;
		} fault;
		struct {
			__s32 iommufd;
			__u32 hwpt_id;
			struct iommulab_probe_domain domain;
		} hwpt;
		__u8 __pad[128];
	};
};

#define IOMMULAB_PROBE_TYPE	'L'
#define IOMMULAB_PROBE_CMD	_IO(IOMMULAB_PROBE_TYPE, 0x80)

#endif /* _UAPI_IOMMULAB_PROBE_H */
