/*
 * iommufd.c - IOMMUFD / VFIO cdev ioctls (see iommufd.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <unistd.h>

#if defined(__has_include)
#if __has_include(<linux/iommufd.h>)
#include <linux/iommufd.h>
#endif
#endif
#include <linux/vfio.h>

#include "iommufd.h"
#include "probe.h"

/* where the build headers know the real constants, they must agree with ours */
#ifdef IOMMU_IOAS_ALLOC
_Static_assert(IOMMU_IOAS_ALLOC == LAB_IOMMU_IOAS_ALLOC, "IOMMU_IOAS_ALLOC");
_Static_assert(IOMMU_DESTROY == LAB_IOMMU_DESTROY, "IOMMU_DESTROY");
#endif
#ifdef IOMMU_HWPT_ALLOC
_Static_assert(IOMMU_HWPT_ALLOC == LAB_IOMMU_HWPT_ALLOC, "IOMMU_HWPT_ALLOC");
#endif
#ifdef VFIO_DEVICE_BIND_IOMMUFD
_Static_assert(VFIO_DEVICE_BIND_IOMMUFD == LAB_VFIO_DEVICE_BIND_IOMMUFD, "BIND_IOMMUFD");
_Static_assert(VFIO_DEVICE_ATTACH_IOMMUFD_PT == LAB_VFIO_DEVICE_ATTACH_IOMMUFD_PT, "ATTACH_PT");
#endif
_Static_assert(VFIO_TYPE == ';' && VFIO_BASE == 100, "VFIO ioctl base");

int lab_iommufd_open(const struct lab_env *env, int *fd)
{
	char p[256];

	snprintf(p, sizeof(p), "%s/dev/iommu", env->root);
	*fd = open(p, O_RDWR | O_CLOEXEC);
	return *fd < 0 ? -errno : 0;
}

int lab_iommufd_ioas_alloc(int iommufd, uint32_t *ioas_id)
{
	struct lab_iommu_ioas_alloc a = { .size = sizeof(a) };

	if (ioctl(iommufd, LAB_IOMMU_IOAS_ALLOC, &a) < 0)
		return -errno;
	*ioas_id = a.out_ioas_id;
	return 0;
}

int lab_iommufd_hwpt_alloc(int iommufd, uint32_t dev_id, uint32_t pt_id, uint32_t *hwpt_id)
{
	struct lab_iommu_hwpt_alloc a = { .size = sizeof(a), .dev_id = dev_id, .pt_id = pt_id };

	if (ioctl(iommufd, LAB_IOMMU_HWPT_ALLOC, &a) < 0)
		return -errno;
	*hwpt_id = a.out_hwpt_id;
	return 0;
}

int lab_iommufd_destroy(int iommufd, uint32_t id)
{
	struct lab_iommu_destroy d = { .size = sizeof(d), .id = id };

	return ioctl(iommufd, LAB_IOMMU_DESTROY, &d) < 0 ? -errno : 0;
}

int lab_iommufd_bind_device(int dev_fd, int iommufd, uint32_t *dev_id)
{
	struct lab_vfio_device_bind_iommufd b = { .argsz = sizeof(b), .iommufd = iommufd };

	if (ioctl(dev_fd, LAB_VFIO_DEVICE_BIND_IOMMUFD, &b) < 0)
		return -errno;
	*dev_id = b.out_devid;
	return 0;
}

int lab_iommufd_attach_pt(int dev_fd, uint32_t *pt_id)
{
	struct lab_vfio_device_attach_iommufd_pt a = { .argsz = sizeof(a), .pt_id = *pt_id };

	if (ioctl(dev_fd, LAB_VFIO_DEVICE_ATTACH_IOMMUFD_PT, &a) < 0)
		return -errno;
	*pt_id = a.pt_id;
	return 0;
}

int lab_iommufd_hwpt_ident(struct lab_probe *p, int iommufd, uint32_t hwpt_id, uint64_t *ident)
{
	struct iommulab_probe_cmd c = { .op = IOMMULAB_OP_HWPT_IDENT };
	int ret;

	c.hwpt.iommufd = iommufd;
	c.hwpt.hwpt_id = hwpt_id;
	ret = lab_probe_cmd(p, &c);
	if (ret)
		return ret;
	*ident = c.hwpt.domain.ident;
	return 0;
}
