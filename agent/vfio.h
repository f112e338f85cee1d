/*
 * vfio.h - VFIO helpers: driver binding, type1 containers, groups, device cdevs.
 *
 * Purpose: the vfio.* and iommufd.* cases need devices bound to vfio-pci and
 * the container/group ioctls; this module keeps the sysfs writes and ioctl
 * details out of the case files.
 *
 * Invariants: lab_vfio_bind() only binds a device that is unbound (the env
 * role pickers guarantee it) and records whether it did, so
 * lab_vfio_unbind() restores exactly the state found.
 * Ownership: returned fds belong to the caller (close them).
 * Error convention: 0 or -errno; ioctl results are passed through unchanged.
 */
#ifndef LAB_VFIO_H
#define LAB_VFIO_H

#include <stdint.h>

#include "env.h"

struct lab_vfio_binding {
	char bdf[16];
	int bound_by_us;
};

/* bind @dev to vfio-pci (driver_override + drivers_probe); -ENOENT if vfio-pci is missing */
int lab_vfio_bind(const struct lab_env *env, const struct lab_pcidev *dev,
		  struct lab_vfio_binding *b);
/* undo lab_vfio_bind() (no-op when the device was already bound before) */
void lab_vfio_unbind(const struct lab_env *env, struct lab_vfio_binding *b);

/* open /dev/vfio/vfio and check the API version and the type1v2 extension */
int lab_vfio_container_open(const struct lab_env *env, int *fd);
/* open /dev/vfio/<group> and check it is viable (-EBUSY when not) */
int lab_vfio_group_open(const struct lab_env *env, int group, int *fd);
int lab_vfio_group_set_container(int group_fd, int container_fd);
int lab_vfio_set_iommu_type1v2(int container_fd);
int lab_vfio_map_dma(int container_fd, void *vaddr, uint64_t iova, uint64_t size);
int lab_vfio_unmap_dma(int container_fd, uint64_t iova, uint64_t size);

/* open the device's VFIO cdev (/dev/vfio/devices/vfioN, found via sysfs vfio-dev/) */
int lab_vfio_cdev_open(const struct lab_env *env, const struct lab_pcidev *dev, int *fd);

/* value of vfio_iommu_type1's allow_unsafe_interrupts: 1, 0, -ENOENT if unknown */
int lab_vfio_unsafe_interrupts_allowed(const struct lab_env *env);

#endif
