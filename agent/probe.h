/*
 * probe.h - userspace side of the iommulab_probe kernel module's ABI.
 *
 * Purpose: thin helpers over IOMMULAB_PROBE_CMD (kmods/uapi/iommulab_probe.h)
 * so the kmod cases read as a list of IOMMU API calls.
 *
 * Error convention (two levels, never mixed):
 *  - the return value is 0 when the module carried the command out, or
 *    -errno when the command itself was refused (no module, bad size,
 *    unknown op/device/handle): a transport error, the case cannot go on.
 *  - *kres receives the IOMMU API's own result, 0 or -errno, unchanged.
 * Ownership: struct lab_probe owns one open file of /dev/iommulab_probe;
 * closing it makes the module detach and free everything the file holds.
 */
#ifndef LAB_PROBE_H
#define LAB_PROBE_H

#include <stdint.h>

#include "iommulab_probe.h"

struct lab_probe {
	int fd;
};

struct lab_domain {
	uint32_t handle;
	uint32_t type;
	uint64_t ident;
};

/* the device node: "/dev/iommulab_probe" under @root */
int lab_probe_open(struct lab_probe *p, const char *root);
void lab_probe_close(struct lab_probe *p);

/* one raw command: fills size, issues the ioctl; 0 or transport -errno */
int lab_probe_cmd(struct lab_probe *p, struct iommulab_probe_cmd *cmd);

const char *lab_probe_op_name(uint32_t op);

int lab_probe_version(struct lab_probe *p, uint32_t *abi, uint32_t *features, char *release,
		      int release_len);
int lab_probe_dev_info(struct lab_probe *p, const char *bdf, struct iommulab_probe_cmd *out);
int lab_probe_domain_alloc(struct lab_probe *p, const char *bdf, struct lab_domain *d, int *kres);
int lab_probe_domain_free(struct lab_probe *p, uint32_t handle, int *kres);
int lab_probe_map(struct lab_probe *p, uint32_t handle, uint64_t iova, uint64_t len, int *kres);
int lab_probe_unmap(struct lab_probe *p, uint32_t handle, uint64_t iova, uint64_t len, int *kres);
int lab_probe_enforce_coherency(struct lab_probe *p, uint32_t handle, int *kres);
int lab_probe_attach_dev(struct lab_probe *p, const char *bdf, uint32_t handle, int *kres);
int lab_probe_attach_group(struct lab_probe *p, const char *bdf, uint32_t handle, int *kres);
int lab_probe_detach_dev(struct lab_probe *p, const char *bdf, uint32_t handle, int *kres);
int lab_probe_domain_ident(struct lab_probe *p, const char *bdf, struct lab_domain *cur, int *kres);
int lab_probe_dma_check(struct lab_probe *p, const char *bdf, uint32_t handle, uint64_t iova,
			int *kres);
/* TEST ONLY: IOMMULAB_OP_FAULT (the module needs fault_ops=1, else the return is -EPERM) */
int lab_probe_fault(struct lab_probe *p, uint32_t kind, int *kres);

#endif
