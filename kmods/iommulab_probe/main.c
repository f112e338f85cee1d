// SPDX-License-Identifier: GPL-2.0
/*
 * main.c - /dev/iommulab_probe: userspace drives in-kernel IOMMU API calls
 * and reads back the kernel's errno unchanged (ABI: kmods/uapi/iommulab_probe.h).
 *
 * State: each open file owns a struct lab_file: an xarray of domains it
 * allocated (handle -> struct lab_dom) and a list of IOMMU groups whose DMA
 * ownership it claimed. Each lab_dom records the attachments made through
 * it (device or group, holding a reference) and the IOVA ranges it mapped
 * (backed by pages the module allocated). One mutex per file serialises that
 * file's commands; the IOMMU core serialises everything else.
 *
 * Invariants:
 *  - A domain is never freed while the core still has it attached through
 *    this file: DOMAIN_FREE and close detach first.
 *  - The module only calls iommu_detach_device/group() for an attachment it
 *    made and only while the core still reports that domain for the device
 *    (the core WARNs otherwise), and only releases DMA ownership it claimed.
 *  - Backing pages of a mapping are freed only after the IOVA stops
 *    translating (unmapped or domain freed).
 *  - Userspace never sees a kernel pointer: a domain's identity is a siphash
 *    of its pointer with a key drawn at load.
 *
 * Error convention: op handlers return 0 when the command was carried out
 * (the kernel's answer is in cmd->result) or -errno when the command was
 * malformed; see the header for which errno means what.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

/*
 * The uapi header comes first: its union member 'current' is a macro in the
 * kernel (asm/current.h). Included before that macro exists, the struct
 * keeps its member name; this file then only uses the identically typed and
 * placed member 'domain' for DOMAIN_IDENT's output.
 */
#include "iommulab_probe.h"

#include <linux/device.h>
#include <linux/fs.h>
#include <linux/iommu.h>
#include <linux/list.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/platform_device.h>
#include <linux/random.h>
#include <linux/siphash.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/xarray.h>
#include <generated/utsrelease.h>

#include "compat.h"
#include "edu.h"
#include "fault.h"
#include "hwpt.h"

#define LAB_MAX_HANDLES	1024
#define LAB_MAP_MAX	(4UL << 20)	/* largest MAP: one contiguous allocation */

struct lab_map {
	struct list_head node;
	unsigned long iova;
	size_t length;
	struct page *pages;
	unsigned int order;
};

enum lab_att_kind {
	LAB_ATT_DEV,
	LAB_ATT_GROUP,
};

struct lab_att {
	struct list_head node;
	enum lab_att_kind kind;
	struct device *dev;		/* reference held */
	struct iommu_group *group;	/* reference held, LAB_ATT_GROUP only */
};

struct lab_dom {
	u32 handle;
	bool coherent;			/* enforce_cache_coherency succeeded */
	struct iommu_domain *domain;
	struct list_head atts;
	struct list_head maps;
};

struct lab_claim {
	struct list_head node;
	struct iommu_group *group;	/* reference held */
};

struct lab_file {
	struct mutex lock;
	struct xarray doms;		/* handle -> struct lab_dom */
	struct list_head claims;
};

static siphash_key_t lab_key;

static u64 lab_ident(const struct iommu_domain *d)
{
	u64 h;

	if (!d)
		return 0;
	h = siphash_1u64((u64)(uintptr_t)d, &lab_key);
	return h ? h : 1;
}

/* ---- lookups ---------------------------------------------------------- */

/* lab_dev_get - find the device named by @d; the caller puts the reference */
static int lab_dev_get(const struct iommulab_probe_dev *d, struct device **out)
{
	struct device *dev;

	if (!memchr(d->name, '\0', sizeof(d->name)) || !d->name[0])
		return -EINVAL;
	switch (d->bus) {
	case IOMMULAB_BUS_PCI:
		dev = bus_find_device_by_name(&pci_bus_type, NULL, d->name);
		break;
	case IOMMULAB_BUS_PLATFORM:
		dev = bus_find_device_by_name(&platform_bus_type, NULL, d->name);
		break;
	default:
		return -EINVAL;
	}
	if (!dev)
		return -ENODEV;
	*out = dev;
	return 0;
}

static struct lab_dom *lab_dom_find(struct lab_file *f, u32 handle)
{
	return handle ? xa_load(&f->doms, handle) : NULL;
}

/* ---- teardown --------------------------------------------------------- */

static void lab_att_release(struct lab_dom *ld, struct lab_att *att)
{
	/* detach only what is still ours; the core WARNs on a stale detach */
	if (iommu_get_domain_for_dev(att->dev) == ld->domain) {
		if (att->kind == LAB_ATT_DEV)
			iommu_detach_device(ld->domain, att->dev);
		else
			iommu_detach_group(ld->domain, att->group);
	}
	list_del(&att->node);
	if (att->group)
		iommu_group_put(att->group);
	put_device(att->dev);
	kfree(att);
}

static void lab_map_free(struct lab_map *m)
{
	list_del(&m->node);
	__free_pages(m->pages, m->order);
	kfree(m);
}

/* lab_dom_destroy - detach everything, free the domain, then its pages */
static void lab_dom_destroy(struct lab_dom *ld)
{
	struct lab_att *att, *at;
	struct lab_map *m, *mt;

	list_for_each_entry_safe(att, at, &ld->atts, node)
		lab_att_release(ld, att);
	iommu_domain_free(ld->domain);
	list_for_each_entry_safe(m, mt, &ld->maps, node)
		lab_map_free(m);
	kfree(ld);
}

/* ---- ops -------------------------------------------------------------- */

static int lab_op_version(struct lab_file *f, struct iommulab_probe_cmd *cmd)
{
	cmd->version.abi = IOMMULAB_PROBE_ABI_VERSION;
	cmd->version.kernel_features = lab_compat_features();
	strscpy(cmd->version.release, UTS_RELEASE, sizeof(cmd->version.release));
	return 0;
}

static int lab_count_dev(struct device *dev, void *data)
{
	(*(u32 *)data)++;
	return 0;
}

/* "virtio_iommu" -> "virtio-iommu": module names to the records' driver names */
static void lab_driver_name(struct iommu_device *iommu, char *buf, size_t len)
{
	const char *n = iommu->dev ? dev_name(iommu->dev) : "";
	char *p;

	if (iommu->ops && iommu->ops->owner)
		strscpy(buf, module_name(iommu->ops->owner), len);
	else if (!strncmp(n, "dmar", 4))
		strscpy(buf, "intel-iommu", len);
	else if (!strncmp(n, "ivhd", 4))
		strscpy(buf, "amd-iommu", len);
	else if (!strncmp(n, "smmu3.", 6))
		strscpy(buf, "arm-smmu-v3", len);
	else
		strscpy(buf, "", len);
	for (p = buf; *p; p++)
		if (*p == '_')
			*p = '-';
}

static int lab_op_dev_info(struct lab_file *f, struct iommulab_probe_cmd *cmd)
{
	struct iommu_group *group;
	struct device *dev;
	u32 n = 0;
	int ret;

	ret = lab_dev_get(&cmd->dev, &dev);
	if (ret)
		return ret;
	memset(&cmd->dev_info, 0, sizeof(cmd->dev_info));
	cmd->dev_info.group_id = -1;
	group = iommu_group_get(dev);
	if (group) {
		cmd->dev_info.flags |= IOMMULAB_DEV_HAS_GROUP;
		cmd->dev_info.group_id = iommu_group_id(group);
		iommu_group_for_each_dev(group, &n, lab_count_dev);
		cmd->dev_info.group_devices = n;
		iommu_group_put(group);
	}
	if (dev->iommu && dev->iommu->iommu_dev) {
		struct iommu_device *iommu = dev->iommu->iommu_dev;

		cmd->dev_info.flags |= IOMMULAB_DEV_HAS_IOMMU;
		if (iommu->dev)
			strscpy(cmd->dev_info.iommu, dev_name(iommu->dev),
				sizeof(cmd->dev_info.iommu));
		lab_driver_name(iommu, cmd->dev_info.driver, sizeof(cmd->dev_info.driver));
	}
	put_device(dev);
	return 0;
}

static int lab_op_domain_alloc(struct lab_file *f, struct iommulab_probe_cmd *cmd)
{
	struct iommu_domain *domain;
	struct lab_dom *ld;
	struct device *dev;
	u32 handle;
	int ret;

	ret = lab_dev_get(&cmd->dev, &dev);
	if (ret)
		return ret;
	memset(&cmd->domain, 0, sizeof(cmd->domain));
	ld = kzalloc(sizeof(*ld), GFP_KERNEL);
	if (!ld) {
		ret = -ENOMEM;
		goto out_put_dev;
	}
	INIT_LIST_HEAD(&ld->atts);
	INIT_LIST_HEAD(&ld->maps);
	domain = lab_compat_domain_alloc(dev);
	if (IS_ERR(domain)) {
		cmd->result = PTR_ERR(domain);
		ret = 0;
		goto out_free_ld;
	}
	ld->domain = domain;
	ret = xa_alloc(&f->doms, &handle, ld, XA_LIMIT(1, LAB_MAX_HANDLES), GFP_KERNEL);
	if (ret) {
		ret = ret == -EBUSY ? -ENOSPC : ret;
		goto out_free_domain;
	}
	ld->handle = handle;
	cmd->domain.handle = handle;
	cmd->domain.type = domain->type;
	cmd->domain.ident = lab_ident(domain);
	cmd->result = 0;
	put_device(dev);
	return 0;

out_free_domain:
	iommu_domain_free(domain);
out_free_ld:
	kfree(ld);
out_put_dev:
	put_device(dev);
	return ret;
}

static int lab_op_domain_free(struct lab_file *f, struct iommulab_probe_cmd *cmd)
{
	struct lab_dom *ld;

	if (!lab_dom_find(f, cmd->domain.handle))
		return -ENOENT;
	ld = xa_erase(&f->doms, cmd->domain.handle);
	lab_dom_destroy(ld);
	cmd->result = 0;
	return 0;
}

static int lab_prot(u32 uprot, bool coherent)
{
	int prot = 0;

	if (uprot & IOMMULAB_PROT_READ)
		prot |= IOMMU_READ;
	if (uprot & IOMMULAB_PROT_WRITE)
		prot |= IOMMU_WRITE;
	/* like VFIO/IOMMUFD: a coherency-enforcing domain maps with IOMMU_CACHE */
	if (coherent)
		prot |= IOMMU_CACHE;
	return prot;
}

/* lab_map_new - back [iova, iova + length) with fresh zeroed pages and map it */
static int lab_map_new(struct lab_dom *ld, u64 iova, u64 length, int prot,
		       struct lab_map **out, int *result)
{
	struct lab_map *m;

	m = kzalloc(sizeof(*m), GFP_KERNEL);
	if (!m)
		return -ENOMEM;
	m->iova = iova;
	m->length = length;
	m->order = get_order(length);
	m->pages = alloc_pages(GFP_KERNEL | __GFP_ZERO, m->order);
	if (!m->pages) {
		kfree(m);
		return -ENOMEM;
	}
	*result = lab_compat_map(ld->domain, iova, page_to_phys(m->pages), length, prot);
	if (*result) {
		__free_pages(m->pages, m->order);
		kfree(m);
		return 0;
	}
	list_add_tail(&m->node, &ld->maps);
	*out = m;
	return 0;
}

static int lab_range_ok(u64 iova, u64 length)
{
	if (!length || !PAGE_ALIGNED(length) || length > LAB_MAP_MAX)
		return -EINVAL;
	if (iova + length < iova || iova > ULONG_MAX - length)
		return -EINVAL;
	return 0;
}

static int lab_op_map(struct lab_file *f, struct iommulab_probe_cmd *cmd)
{
	struct lab_dom *ld = lab_dom_find(f, cmd->map.handle);
	struct lab_map *m;
	int ret;

	if (!ld)
		return -ENOENT;
	if (cmd->map.prot & ~(IOMMULAB_PROT_READ | IOMMULAB_PROT_WRITE))
		return -EINVAL;
	ret = lab_range_ok(cmd->map.iova, cmd->map.length);
	if (ret)
		return ret;
	return lab_map_new(ld, cmd->map.iova, cmd->map.length,
			   lab_prot(cmd->map.prot, ld->coherent), &m, &cmd->result);
}

/* free backing pages of every mapping inside the range that no longer translates */
static void lab_maps_reap(struct lab_dom *ld, u64 iova, u64 length)
{
	struct lab_map *m, *mt;
	size_t off;

	list_for_each_entry_safe(m, mt, &ld->maps, node) {
		if (m->iova < iova || m->iova + m->length > iova + length)
			continue;
		for (off = 0; off < m->length; off += PAGE_SIZE)
			if (iommu_iova_to_phys(ld->domain, m->iova + off))
				break;
		if (off >= m->length)
			lab_map_free(m);
	}
}

static int lab_op_unmap(struct lab_file *f, struct iommulab_probe_cmd *cmd)
{
	struct lab_dom *ld = lab_dom_find(f, cmd->map.handle);
	size_t done;

	if (!ld)
		return -ENOENT;
	if (!cmd->map.length || cmd->map.iova + cmd->map.length < cmd->map.iova ||
	    cmd->map.iova > ULONG_MAX - cmd->map.length)
		return -EINVAL;
	done = iommu_unmap(ld->domain, cmd->map.iova, cmd->map.length);
	lab_maps_reap(ld, cmd->map.iova, cmd->map.length);
	cmd->map.length = done;
	cmd->result = 0;
	return 0;
}

static int lab_op_enforce_coherency(struct lab_file *f, struct iommulab_probe_cmd *cmd)
{
	struct lab_dom *ld = lab_dom_find(f, cmd->domain.handle);

	if (!ld)
		return -ENOENT;
	cmd->result = lab_compat_enforce_coherency(ld->domain);
	if (!cmd->result)
		ld->coherent = true;
	return 0;
}

/*
 * lab_att_args - the operands of ATTACH/DETACH: the domain of the handle
 * (-ENOENT when unknown), the reserved field (-EINVAL unless zero), the
 * device (lab_dev_get; the caller puts the reference).
 */
static int lab_att_args(struct lab_file *f, struct iommulab_probe_cmd *cmd,
			struct lab_dom **ld, struct device **dev)
{
	*ld = lab_dom_find(f, cmd->attach.handle);
	if (!*ld)
		return -ENOENT;
	if (cmd->attach.__reserved)
		return -EINVAL;
	return lab_dev_get(&cmd->dev, dev);
}

static int lab_op_attach(struct lab_file *f, struct iommulab_probe_cmd *cmd,
			 enum lab_att_kind kind)
{
	struct iommu_group *group = NULL;
	struct lab_att *att;
	struct lab_dom *ld;
	struct device *dev;
	int ret;

	ret = lab_att_args(f, cmd, &ld, &dev);
	if (ret)
		return ret;
	if (kind == LAB_ATT_GROUP) {
		group = iommu_group_get(dev);
		if (!group) {
			ret = -ENODEV;
			goto out_put_dev;
		}
	}
	att = kzalloc(sizeof(*att), GFP_KERNEL);
	if (!att) {
		ret = -ENOMEM;
		goto out_put_group;
	}
	if (kind == LAB_ATT_DEV)
		cmd->result = iommu_attach_device(ld->domain, dev);
	else
		cmd->result = iommu_attach_group(ld->domain, group);
	if (cmd->result) {
		ret = 0;
		goto out_free_att;
	}
	att->kind = kind;
	att->dev = dev;
	att->group = group;
	list_add_tail(&att->node, &ld->atts);
	return 0;

out_free_att:
	kfree(att);
out_put_group:
	if (group)
		iommu_group_put(group);
out_put_dev:
	put_device(dev);
	return ret;
}

static int lab_op_detach(struct lab_file *f, struct iommulab_probe_cmd *cmd,
			 enum lab_att_kind kind)
{
	struct iommu_group *group;
	struct lab_att *att;
	struct lab_dom *ld;
	struct device *dev;
	int ret;

	ret = lab_att_args(f, cmd, &ld, &dev);
	if (ret)
		return ret;
	group = iommu_group_get(dev);
	ret = -ENOENT;	/* not attached through this handle */
	list_for_each_entry(att, &ld->atts, node) {
		if (att->kind != kind)
			continue;
		if (kind == LAB_ATT_DEV ? att->dev == dev : (group && att->group == group)) {
			lab_att_release(ld, att);
			cmd->result = 0;
			ret = 0;
			break;
		}
	}
	if (group)
		iommu_group_put(group);
	put_device(dev);
	return ret;
}

static struct lab_claim *lab_claim_find(struct lab_file *f, struct iommu_group *group)
{
	struct lab_claim *c;

	list_for_each_entry(c, &f->claims, node)
		if (c->group == group)
			return c;
	return NULL;
}

static void lab_claim_release(struct lab_claim *c)
{
#ifdef LAB_HAVE_DMA_OWNER
	iommu_group_release_dma_owner(c->group);
#endif
	list_del(&c->node);
	iommu_group_put(c->group);
	kfree(c);
}

static int lab_op_dma_owner(struct lab_file *f, struct iommulab_probe_cmd *cmd, bool claim)
{
#ifdef LAB_HAVE_DMA_OWNER
	struct iommu_group *group;
	struct lab_claim *c;
	struct device *dev;
	int ret;

	ret = lab_dev_get(&cmd->dev, &dev);
	if (ret)
		return ret;
	group = iommu_group_get(dev);
	if (!group) {
		ret = -ENODEV;
		goto out_put_dev;
	}
	c = lab_claim_find(f, group);
	if (!claim) {
		ret = c ? 0 : -ENOENT;
		if (c) {
			lab_claim_release(c);
			cmd->result = 0;
		}
		goto out_put_group;
	}
	c = kzalloc(sizeof(*c), GFP_KERNEL);
	if (!c) {
		ret = -ENOMEM;
		goto out_put_group;
	}
	cmd->result = iommu_group_claim_dma_owner(group, f);
	if (cmd->result) {
		kfree(c);
		ret = 0;
		goto out_put_group;
	}
	c->group = group;	/* keeps the reference */
	list_add_tail(&c->node, &f->claims);
	put_device(dev);
	return 0;

out_put_group:
	iommu_group_put(group);
out_put_dev:
	put_device(dev);
	return ret;
#else
	return -EOPNOTSUPP;
#endif
}

static int lab_op_domain_ident(struct lab_file *f, struct iommulab_probe_cmd *cmd)
{
	struct iommulab_probe_domain *out = &cmd->domain;	/* uapi: 'current' */
	struct iommu_domain *d;
	struct lab_dom *ld;
	struct device *dev;
	unsigned long idx;
	int ret;

	BUILD_BUG_ON(offsetof(struct iommulab_probe_cmd, domain) !=
		     offsetof(struct iommulab_probe_cmd, __pad));
	ret = lab_dev_get(&cmd->dev, &dev);
	if (ret)
		return ret;
	memset(out, 0, sizeof(*out));
	d = iommu_get_domain_for_dev(dev);
	if (d) {
		out->type = d->type;
		out->ident = lab_ident(d);
		xa_for_each(&f->doms, idx, ld) {
			if (ld->domain == d) {
				out->handle = ld->handle;
				break;
			}
		}
	}
	cmd->result = 0;
	put_device(dev);
	return 0;
}

/*
 * DMA_CHECK: map two fresh pages at dma.iova and dma.iova + PAGE_SIZE in the
 * handle's domain, fill the first with a random pattern, let edu copy it
 * (through the device's IOMMU translation) into its buffer and back into the
 * second page, compare, unmap. The mapping failing reports the map's errno.
 * A device whose current domain is identity (or none) would DMA to physical
 * addresses: that is refused with -EIO without any DMA.
 */
static int lab_op_dma_check(struct lab_file *f, struct iommulab_probe_cmd *cmd)
{
	struct lab_dom *ld = lab_dom_find(f, cmd->dma.handle);
	struct iommu_domain *cur;
	struct pci_dev *pdev;
	struct lab_map *m = NULL;
	struct device *dev;
	u8 *src, *dst;
	size_t undone;
	int ret;

	if (!ld)
		return -ENOENT;
	if (cmd->dma.__reserved)
		return -EINVAL;
	ret = lab_range_ok(cmd->dma.iova, 2 * PAGE_SIZE);
	if (ret || !PAGE_ALIGNED(cmd->dma.iova))
		return -EINVAL;
	ret = lab_dev_get(&cmd->dev, &dev);
	if (ret)
		return ret;
	if (!dev_is_pci(dev) || !lab_edu_match(to_pci_dev(dev))) {
		cmd->result = -ENODEV;
		goto out_put_dev;
	}
	pdev = to_pci_dev(dev);
	cur = iommu_get_domain_for_dev(dev);
	if (!cur || cur->type == IOMMU_DOMAIN_IDENTITY) {
		pr_info("%s: not translated (domain type %u), no test DMA\n",
			dev_name(dev), cur ? cur->type : 0);
		cmd->result = -EIO;
		goto out_put_dev;
	}
	ret = lab_map_new(ld, cmd->dma.iova, 2 * PAGE_SIZE,
			  lab_prot(IOMMULAB_PROT_READ | IOMMULAB_PROT_WRITE, ld->coherent),
			  &m, &cmd->result);
	if (ret || cmd->result)
		goto out_put_dev;
	src = page_address(m->pages);
	dst = src + PAGE_SIZE;
	get_random_bytes(src, LAB_EDU_XFER);
	memset(dst, 0, LAB_EDU_XFER);
	cmd->result = lab_edu_roundtrip(pdev, cmd->dma.iova, cmd->dma.iova + PAGE_SIZE);
	if (!cmd->result && memcmp(src, dst, LAB_EDU_XFER))
		cmd->result = -EIO;
	undone = iommu_unmap(ld->domain, m->iova, m->length);
	if (undone == m->length)
		lab_map_free(m);
	else
		pr_warn("%s: unmap after DMA check left %zu bytes mapped; pages kept\n",
			dev_name(dev), m->length - undone);
out_put_dev:
	put_device(dev);
	return ret;
}

/* HWPT_IDENT: the identity of an IOMMUFD hw_pagetable's domain (hwpt.c) */
static int lab_op_hwpt_ident(struct lab_file *f, struct iommulab_probe_cmd *cmd)
{
	const struct iommu_domain *d;
	u32 type = 0;
	int ret;

	ret = lab_hwpt_domain(cmd->hwpt.iommufd, cmd->hwpt.hwpt_id, &d, &type);
	if (ret)
		return ret;
	memset(&cmd->hwpt.domain, 0, sizeof(cmd->hwpt.domain));
	cmd->hwpt.domain.type = type;
	cmd->hwpt.domain.ident = lab_ident(d);
	cmd->result = 0;
	return 0;
}

/* ---- dispatch and file ops ------------------------------------------- */

static int lab_dispatch(struct lab_file *f, struct iommulab_probe_cmd *cmd)
{
	switch (cmd->op) {
	case IOMMULAB_OP_VERSION:
		return lab_op_version(f, cmd);
	case IOMMULAB_OP_DEV_INFO:
		return lab_op_dev_info(f, cmd);
	case IOMMULAB_OP_DOMAIN_ALLOC:
		return lab_op_domain_alloc(f, cmd);
	case IOMMULAB_OP_DOMAIN_FREE:
		return lab_op_domain_free(f, cmd);
	case IOMMULAB_OP_MAP:
		return lab_op_map(f, cmd);
	case IOMMULAB_OP_UNMAP:
		return lab_op_unmap(f, cmd);
	case IOMMULAB_OP_ENFORCE_COHERENCY:
		return lab_op_enforce_coherency(f, cmd);
	case IOMMULAB_OP_ATTACH_DEV:
		return lab_op_attach(f, cmd, LAB_ATT_DEV);
	case IOMMULAB_OP_DETACH_DEV:
		return lab_op_detach(f, cmd, LAB_ATT_DEV);
	case IOMMULAB_OP_ATTACH_GROUP:
		return lab_op_attach(f, cmd, LAB_ATT_GROUP);
	case IOMMULAB_OP_DETACH_GROUP:
		return lab_op_detach(f, cmd, LAB_ATT_GROUP);
	case IOMMULAB_OP_CLAIM_DMA_OWNER:
		return lab_op_dma_owner(f, cmd, true);
	case IOMMULAB_OP_RELEASE_DMA_OWNER:
		return lab_op_dma_owner(f, cmd, false);
	case IOMMULAB_OP_DOMAIN_IDENT:
		return lab_op_domain_ident(f, cmd);
	case IOMMULAB_OP_DMA_CHECK:
		return lab_op_dma_check(f, cmd);
	case IOMMULAB_OP_HWPT_IDENT:
		return lab_op_hwpt_ident(f, cmd);
	default:
		return -EOPNOTSUPP;
	}
}

static long lab_ioctl(struct file *filp, unsigned int nr, unsigned long arg)
{
	struct iommulab_probe_cmd __user *ucmd = (void __user *)arg;
	struct lab_file *f = filp->private_data;
	struct iommulab_probe_cmd cmd;
	u32 usize;
	int ret;

	if (nr != IOMMULAB_PROBE_CMD)
		return -ENOTTY;
	if (get_user(usize, &ucmd->size))
		return -EFAULT;
	if (usize < sizeof(cmd))
		return -EINVAL;
	if (usize > sizeof(cmd)) {
		ret = check_zeroed_user((u8 __user *)ucmd + sizeof(cmd), usize - sizeof(cmd));
		if (ret < 0)
			return ret;
		if (!ret)
			return -E2BIG;
	}
	if (copy_from_user(&cmd, ucmd, sizeof(cmd)))
		return -EFAULT;
	if (cmd.__reserved || cmd.dev.__reserved)
		return -EINVAL;
	cmd.result = 0;
	if (cmd.op == IOMMULAB_OP_FAULT) {
		/* outside the file's lock: an oops here must not leave it held */
		ret = lab_op_fault(&cmd);
	} else {
		mutex_lock(&f->lock);
		ret = lab_dispatch(f, &cmd);
		mutex_unlock(&f->lock);
	}
	if (ret)
		return ret;
	if (copy_to_user(ucmd, &cmd, sizeof(cmd)))
		return -EFAULT;
	return 0;
}

static int lab_open(struct inode *inode, struct file *filp)
{
	struct lab_file *f;

	f = kzalloc(sizeof(*f), GFP_KERNEL);
	if (!f)
		return -ENOMEM;
	mutex_init(&f->lock);
	xa_init_flags(&f->doms, XA_FLAGS_ALLOC1);
	INIT_LIST_HEAD(&f->claims);
	filp->private_data = f;
	return 0;
}

/* release mirrors the ops: domains (detach, free) first, then DMA ownership */
static int lab_release(struct inode *inode, struct file *filp)
{
	struct lab_file *f = filp->private_data;
	struct lab_claim *c, *ct;
	struct lab_dom *ld;
	unsigned long idx;

	xa_for_each(&f->doms, idx, ld) {
		xa_erase(&f->doms, idx);
		lab_dom_destroy(ld);
	}
	xa_destroy(&f->doms);
	list_for_each_entry_safe(c, ct, &f->claims, node)
		lab_claim_release(c);
	mutex_destroy(&f->lock);
	kfree(f);
	return 0;
}

static const struct file_operations lab_fops = {
	.owner = THIS_MODULE,
	.open = lab_open,
	.release = lab_release,
	.unlocked_ioctl = lab_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

static struct miscdevice lab_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = IOMMULAB_PROBE_DEVNAME,
	.fops = &lab_fops,
	.mode = 0600,
};

static int __init lab_init(void)
{
	int ret;

	get_random_bytes(&lab_key, sizeof(lab_key));
	ret = misc_register(&lab_misc);
	if (ret) {
		pr_err("misc_register failed: %d\n", ret);
		return ret;
	}
	pr_info("ready, abi %u, features 0x%x\n", IOMMULAB_PROBE_ABI_VERSION,
		lab_compat_features());
	return 0;
}

static void __exit lab_exit(void)
{
	/* open files pin the module (fops.owner): nothing is left to release */
	misc_deregister(&lab_misc);
}

module_init(lab_init);
module_exit(lab_exit);
MODULE_LICENSE("GPL");
MODULE_AUTHOR("iommulab");
MODULE_DESCRIPTION("iommulab: drive the in-kernel IOMMU API from userspace for errno probes");
