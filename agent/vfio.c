/*
 * vfio.c - VFIO type1 and binding helpers (see vfio.h).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/vfio.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vfio.h"

static int write_str(const char *path, const char *s)
{
	ssize_t n;
	int fd, ret = 0;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, s, strlen(s));
	if (n < 0)
		ret = -errno;
	else if ((size_t)n != strlen(s))
		ret = -EIO;
	close(fd);
	return ret;
}

static int bound_driver(const struct lab_env *env, const char *bdf, char *out, size_t len)
{
	char p[256], tgt[256];
	const char *b;
	ssize_t n;

	snprintf(p, sizeof(p), "%s/sys/bus/pci/devices/%s/driver", env->root, bdf);
	n = readlink(p, tgt, sizeof(tgt) - 1);
	if (n < 0) {
		out[0] = '\0';
		return -errno;
	}
	tgt[n] = '\0';
	b = strrchr(tgt, '/');
	snprintf(out, len, "%s", b ? b + 1 : tgt);
	return 0;
}

int lab_vfio_bind(const struct lab_env *env, const struct lab_pcidev *dev,
		  struct lab_vfio_binding *b)
{
	char p[256], drv[64];
	struct stat st;
	int ret;

	memset(b, 0, sizeof(*b));
	snprintf(b->bdf, sizeof(b->bdf), "%s", dev->bdf);
	if (!bound_driver(env, dev->bdf, drv, sizeof(drv))) {
		if (strcmp(drv, "vfio-pci") == 0)
			return 0;
		return -EBUSY;	/* never take a device from its driver */
	}
	snprintf(p, sizeof(p), "%s/sys/bus/pci/drivers/vfio-pci", env->root);
	if (stat(p, &st))
		return -ENOENT;
	snprintf(p, sizeof(p), "%s/sys/bus/pci/devices/%s/driver_override", env->root, dev->bdf);
	ret = write_str(p, "vfio-pci");
	if (ret)
		return ret;
	snprintf(p, sizeof(p), "%s/sys/bus/pci/drivers_probe", env->root);
	ret = write_str(p, dev->bdf);
	if (ret)
		goto undo_override;
	if (bound_driver(env, dev->bdf, drv, sizeof(drv)) || strcmp(drv, "vfio-pci") != 0) {
		ret = -ENXIO;
		goto undo_override;
	}
	b->bound_by_us = 1;
	return 0;

undo_override:
	snprintf(p, sizeof(p), "%s/sys/bus/pci/devices/%s/driver_override", env->root, dev->bdf);
	write_str(p, "\n");
	return ret;
}

void lab_vfio_unbind(const struct lab_env *env, struct lab_vfio_binding *b)
{
	char p[256];

	if (!b->bound_by_us)
		return;
	snprintf(p, sizeof(p), "%s/sys/bus/pci/drivers/vfio-pci/unbind", env->root);
	write_str(p, b->bdf);
	snprintf(p, sizeof(p), "%s/sys/bus/pci/devices/%s/driver_override", env->root, b->bdf);
	write_str(p, "\n");
	b->bound_by_us = 0;
}

int lab_vfio_container_open(const struct lab_env *env, int *fd)
{
	char p[256];
	int ret;

	snprintf(p, sizeof(p), "%s/dev/vfio/vfio", env->root);
	*fd = open(p, O_RDWR | O_CLOEXEC);
	if (*fd < 0)
		return -errno;
	ret = ioctl(*fd, VFIO_GET_API_VERSION);
	if (ret != VFIO_API_VERSION) {
		ret = ret < 0 ? -errno : -EPROTO;
		goto close_fd;
	}
	ret = ioctl(*fd, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU);
	if (ret <= 0) {
		ret = ret < 0 ? -errno : -EOPNOTSUPP;
		goto close_fd;
	}
	return 0;

close_fd:
	close(*fd);
	*fd = -1;
	return ret;
}

int lab_vfio_group_open(const struct lab_env *env, int group, int *fd)
{
	struct vfio_group_status st = { .argsz = sizeof(st) };
	char p[256];
	int ret;

	snprintf(p, sizeof(p), "%s/dev/vfio/%d", env->root, group);
	*fd = open(p, O_RDWR | O_CLOEXEC);
	if (*fd < 0)
		return -errno;
	if (ioctl(*fd, VFIO_GROUP_GET_STATUS, &st) < 0) {
		ret = -errno;
		goto close_fd;
	}
	if (!(st.flags & VFIO_GROUP_FLAGS_VIABLE)) {
		ret = -EBUSY;
		goto close_fd;
	}
	return 0;

close_fd:
	close(*fd);
	*fd = -1;
	return ret;
}

int lab_vfio_group_set_container(int group_fd, int container_fd)
{
	return ioctl(group_fd, VFIO_GROUP_SET_CONTAINER, &container_fd) < 0 ? -errno : 0;
}

int lab_vfio_set_iommu_type1v2(int container_fd)
{
	return ioctl(container_fd, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU) < 0 ? -errno : 0;
}

int lab_vfio_map_dma(int container_fd, void *vaddr, uint64_t iova, uint64_t size)
{
	struct vfio_iommu_type1_dma_map m = {
		.argsz = sizeof(m),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = (uint64_t)(uintptr_t)vaddr,
		.iova = iova,
		.size = size,
	};

	return ioctl(container_fd, VFIO_IOMMU_MAP_DMA, &m) < 0 ? -errno : 0;
}

int lab_vfio_unmap_dma(int container_fd, uint64_t iova, uint64_t size)
{
	struct vfio_iommu_type1_dma_unmap u = {
		.argsz = sizeof(u),
		.iova = iova,
		.size = size,
	};

	return ioctl(container_fd, VFIO_IOMMU_UNMAP_DMA, &u) < 0 ? -errno : 0;
}

int lab_vfio_cdev_open(const struct lab_env *env, const struct lab_pcidev *dev, int *fd)
{
	char p[256], name[64] = "";
	struct dirent *de;
	DIR *d;

	snprintf(p, sizeof(p), "%s/sys/bus/pci/devices/%s/vfio-dev", env->root, dev->bdf);
	d = opendir(p);
	if (!d)
		return -ENOENT;
	while ((de = readdir(d)))
		if (strncmp(de->d_name, "vfio", 4) == 0) {
			snprintf(name, sizeof(name), "%s", de->d_name);
			break;
		}
	closedir(d);
	if (!name[0])
		return -ENOENT;
	snprintf(p, sizeof(p), "%s/dev/vfio/devices/%s", env->root, name);
	*fd = open(p, O_RDWR | O_CLOEXEC);
	return *fd < 0 ? -errno : 0;
}

int lab_vfio_unsafe_interrupts_allowed(const struct lab_env *env)
{
	char p[256], buf[8] = "";
	ssize_t n;
	int fd;

	snprintf(p, sizeof(p), "%s/sys/module/vfio_iommu_type1/parameters/allow_unsafe_interrupts",
		 env->root);
	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -ENOENT;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -ENOENT;
	return buf[0] == 'Y' || buf[0] == '1';
}
