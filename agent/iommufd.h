/*
 * iommufd.h - IOMMUFD and VFIO device-cdev helpers.
 *
 * Purpose: IOAS allocation, HWPT_ALLOC, and binding/attaching VFIO device
 * cdevs to an iommufd, for the iommufd.* cases; and the probe module's
 * identity of a hw_pagetable's domain, to verify where an attach landed.
 *
 * Header policy: the ioctl numbers and struct layouts are the kernel uapi's
 * (<linux/iommufd.h>, <linux/vfio.h>, v6.6 layouts, which later kernels
 * accept because the structs are size-first). They are spelled here with a
 * lab_ prefix so the agent builds against 6.1-era headers that lack them;
 * when the build headers do have them, iommufd.c checks at compile time that
 * the numbers agree.
 * Ownership: returned fds/ids belong to the caller.
 * Error convention: 0 or -errno straight from the ioctl.
 */
#ifndef LAB_IOMMUFD_H
#define LAB_IOMMUFD_H

#include <linux/ioctl.h>
#include <stdint.h>

#include "env.h"

#define LAB_IOMMUFD_TYPE		';'
#define LAB_IOMMUFD_CMD_DESTROY		0x80
#define LAB_IOMMUFD_CMD_IOAS_ALLOC	0x81
#define LAB_IOMMUFD_CMD_HWPT_ALLOC	0x89
#define LAB_IOMMU_DESTROY	_IO(LAB_IOMMUFD_TYPE, LAB_IOMMUFD_CMD_DESTROY)
#define LAB_IOMMU_IOAS_ALLOC	_IO(LAB_IOMMUFD_TYPE, LAB_IOMMUFD_CMD_IOAS_ALLOC)
#define LAB_IOMMU_HWPT_ALLOC	_IO(LAB_IOMMUFD_TYPE, LAB_IOMMUFD_CMD_HWPT_ALLOC)

/* VFIO_TYPE ';' with VFIO_BASE 100 */
#define LAB_VFIO_DEVICE_BIND_IOMMUFD		_IO(';', 100 + 18)
#define LAB_VFIO_DEVICE_ATTACH_IOMMUFD_PT	_IO(';', 100 + 19)
#define LAB_VFIO_DEVICE_DETACH_IOMMUFD_PT	_IO(';', 100 + 20)

struct lab_iommu_destroy {
	uint32_t size;
	uint32_t id;
};

struct lab_iommu_ioas_alloc {
	uint32_t size;
	uint32_t flags;
	uint32_t out_ioas_id;
};

struct lab_iommu_hwpt_alloc {	/* v6.6 layout */
	uint32_t size;
	uint32_t flags;
	uint32_t dev_id;
	uint32_t pt_id;
	uint32_t out_hwpt_id;
	uint32_t __reserved;
};

struct lab_vfio_device_bind_iommufd {
	uint32_t argsz;
	uint32_t flags;
	int32_t iommufd;
	uint32_t out_devid;
};

struct lab_vfio_device_attach_iommufd_pt {
	uint32_t argsz;
	uint32_t flags;
	uint32_t pt_id;
};

int lab_iommufd_open(const struct lab_env *env, int *fd);
int lab_iommufd_ioas_alloc(int iommufd, uint32_t *ioas_id);
int lab_iommufd_hwpt_alloc(int iommufd, uint32_t dev_id, uint32_t pt_id, uint32_t *hwpt_id);
int lab_iommufd_destroy(int iommufd, uint32_t id);
/* VFIO cdev: bind to an iommufd (out: dev_id), attach to an IOAS or HWPT (in/out: pt_id) */
int lab_iommufd_bind_device(int dev_fd, int iommufd, uint32_t *dev_id);
int lab_iommufd_attach_pt(int dev_fd, uint32_t *pt_id);

/*
 * The identity of the iommu_domain hw_pagetable @hwpt_id of @iommufd holds,
 * as the iommulab_probe module reads it from iommufd's object table
 * (IOMMULAB_OP_HWPT_IDENT), comparable with lab_probe_domain_ident()'s.
 * 0, or the module's -errno: -EOPNOTSUPP a module that cannot tell (built
 * against headers without iommufd's internals, or older), -ENOENT no such
 * hw_pagetable, -EBADF @iommufd is not a /dev/iommu fd.
 */
struct lab_probe;
int lab_iommufd_hwpt_ident(struct lab_probe *p, int iommufd, uint32_t hwpt_id, uint64_t *ident);

#endif
