/*
 * probe.c - IOMMULAB_PROBE_CMD helpers (see probe.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "probe.h"

int lab_probe_open(struct lab_probe *p, const char *root)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/dev/%s", root, IOMMULAB_PROBE_DEVNAME);
	p->fd = open(path, O_RDWR | O_CLOEXEC);
	if (p->fd < 0)
		return -errno;
	return 0;
}

void lab_probe_close(struct lab_probe *p)
{
	if (p->fd >= 0)
		close(p->fd);
	p->fd = -1;
}

const char *lab_probe_op_name(uint32_t op)
{
	switch ((enum iommulab_probe_op)op) {
	case IOMMULAB_OP_VERSION: return "version";
	case IOMMULAB_OP_DEV_INFO: return "dev_info";
	case IOMMULAB_OP_DOMAIN_ALLOC: return "domain_alloc";
	case IOMMULAB_OP_DOMAIN_FREE: return "domain_free";
	case IOMMULAB_OP_MAP: return "map";
	case IOMMULAB_OP_UNMAP: return "unmap";
	case IOMMULAB_OP_ENFORCE_COHERENCY: return "enforce_coherency";
	case IOMMULAB_OP_ATTACH_DEV: return "attach_dev";
	case IOMMULAB_OP_DETACH_DEV: return "detach_dev";
	case IOMMULAB_OP_ATTACH_GROUP: return "attach_group";
	case IOMMULAB_OP_DETACH_GROUP: return "detach_group";
	case IOMMULAB_OP_CLAIM_DMA_OWNER: return "claim_dma_owner";
	case IOMMULAB_OP_RELEASE_DMA_OWNER: return "release_dma_owner";
	case IOMMULAB_OP_DOMAIN_IDENT: return "domain_ident";
	case IOMMULAB_OP_DMA_CHECK: return "dma_check";
	case IOMMULAB_OP_FAULT: return "fault";
	case IOMMULAB_OP_HWPT_IDENT: return "hwpt_ident";
	}
	return "unknown";
}

int lab_probe_cmd(struct lab_probe *p, struct iommulab_probe_cmd *cmd)
{
	cmd->size = sizeof(*cmd);
	cmd->result = 0;
	if (ioctl(p->fd, IOMMULAB_PROBE_CMD, cmd) < 0)
		return -errno;
	return 0;
}

static void cmd_init(struct iommulab_probe_cmd *c, uint32_t op, const char *bdf)
{
	memset(c, 0, sizeof(*c));
	c->op = op;
	if (bdf) {
		c->dev.bus = IOMMULAB_BUS_PCI;
		snprintf(c->dev.name, sizeof(c->dev.name), "%s", bdf);
	}
}

/* issue and hand back the kernel's result */
static int run(struct lab_probe *p, struct iommulab_probe_cmd *c, int *kres)
{
	int ret = lab_probe_cmd(p, c);

	if (ret)
		return ret;
	if (kres)
		*kres = c->result;
	return 0;
}

/* an op on a domain handle alone */
static int run_domain(struct lab_probe *p, uint32_t op, uint32_t handle, int *kres)
{
	struct iommulab_probe_cmd c;

	cmd_init(&c, op, NULL);
	c.domain.handle = handle;
	return run(p, &c, kres);
}

/* an op moving device @bdf (or its group) with respect to domain @handle */
static int run_attach(struct lab_probe *p, uint32_t op, const char *bdf, uint32_t handle,
		      int *kres)
{
	struct iommulab_probe_cmd c;

	cmd_init(&c, op, bdf);
	c.attach.handle = handle;
	return run(p, &c, kres);
}

/* MAP / UNMAP of [@iova, @iova + @len) in domain @handle */
static int run_map(struct lab_probe *p, uint32_t op, uint32_t handle, uint64_t iova,
		   uint64_t len, uint32_t prot, int *kres)
{
	struct iommulab_probe_cmd c;

	cmd_init(&c, op, NULL);
	c.map.handle = handle;
	c.map.iova = iova;
	c.map.length = len;
	c.map.prot = prot;
	return run(p, &c, kres);
}

int lab_probe_version(struct lab_probe *p, uint32_t *abi, uint32_t *features, char *release,
		      int release_len)
{
	struct iommulab_probe_cmd c;
	int ret;

	cmd_init(&c, IOMMULAB_OP_VERSION, NULL);
	ret = run(p, &c, NULL);
	if (ret)
		return ret;
	*abi = c.version.abi;
	*features = c.version.kernel_features;
	snprintf(release, (size_t)release_len, "%.*s", (int)sizeof(c.version.release),
		 c.version.release);
	return 0;
}

int lab_probe_dev_info(struct lab_probe *p, const char *bdf, struct iommulab_probe_cmd *out)
{
	cmd_init(out, IOMMULAB_OP_DEV_INFO, bdf);
	return run(p, out, NULL);
}

int lab_probe_domain_alloc(struct lab_probe *p, const char *bdf, struct lab_domain *d, int *kres)
{
	struct iommulab_probe_cmd c;
	int ret;

	cmd_init(&c, IOMMULAB_OP_DOMAIN_ALLOC, bdf);
	ret = run(p, &c, kres);
	if (ret)
		return ret;
	d->handle = c.domain.handle;
	d->type = c.domain.type;
	d->ident = c.domain.ident;
	return 0;
}

int lab_probe_domain_free(struct lab_probe *p, uint32_t handle, int *kres)
{
	return run_domain(p, IOMMULAB_OP_DOMAIN_FREE, handle, kres);
}

int lab_probe_map(struct lab_probe *p, uint32_t handle, uint64_t iova, uint64_t len, int *kres)
{
	return run_map(p, IOMMULAB_OP_MAP, handle, iova, len,
		       IOMMULAB_PROT_READ | IOMMULAB_PROT_WRITE, kres);
}

int lab_probe_unmap(struct lab_probe *p, uint32_t handle, uint64_t iova, uint64_t len, int *kres)
{
	return run_map(p, IOMMULAB_OP_UNMAP, handle, iova, len, 0, kres);
}

int lab_probe_enforce_coherency(struct lab_probe *p, uint32_t handle, int *kres)
{
	return run_domain(p, IOMMULAB_OP_ENFORCE_COHERENCY, handle, kres);
}

int lab_probe_attach_dev(struct lab_probe *p, const char *bdf, uint32_t handle, int *kres)
{
	return run_attach(p, IOMMULAB_OP_ATTACH_DEV, bdf, handle, kres);
}

int lab_probe_attach_group(struct lab_probe *p, const char *bdf, uint32_t handle, int *kres)
{
	return run_attach(p, IOMMULAB_OP_ATTACH_GROUP, bdf, handle, kres);
}

int lab_probe_detach_dev(struct lab_probe *p, const char *bdf, uint32_t handle, int *kres)
{
	return run_attach(p, IOMMULAB_OP_DETACH_DEV, bdf, handle, kres);
}

int lab_probe_domain_ident(struct lab_probe *p, const char *bdf, struct lab_domain *cur, int *kres)
{
	struct iommulab_probe_cmd c;
	int ret;

	cmd_init(&c, IOMMULAB_OP_DOMAIN_IDENT, bdf);
	ret = run(p, &c, kres);
	if (ret)
		return ret;
	cur->handle = c.current.handle;
	cur->type = c.current.type;
	cur->ident = c.current.ident;
	return 0;
}

int lab_probe_dma_check(struct lab_probe *p, const char *bdf, uint32_t handle, uint64_t iova,
			int *kres)
{
	struct iommulab_probe_cmd c;

	cmd_init(&c, IOMMULAB_OP_DMA_CHECK, bdf);
	c.dma.handle = handle;
	c.dma.iova = iova;
	return run(p, &c, kres);
}

int lab_probe_fault(struct lab_probe *p, uint32_t kind, int *kres)
{
	struct iommulab_probe_cmd cmd = { .op = IOMMULAB_OP_FAULT };
	int ret;

	cmd.fault.kind = kind;
	ret = lab_probe_cmd(p, &cmd);
	if (!ret)
		*kres = cmd.result;
	return ret;
}
