/*
 * env.h - discovery of the machine the agent runs on.
 *
 * Purpose: one snapshot of everything the cases need to know before they
 * run: kernel release and arch, IOMMU instances and their drivers (with the
 * VT-d capability registers), PCI devices with their IOMMU group and bound
 * driver, the device nodes (/dev/vfio/vfio, /dev/iommu,
 * /dev/iommulab_probe), interrupt remapping and MSI isolation (as the
 * kernel decides it for VFIO, see env.c), selected kernel config symbols,
 * the loaded modules and the target's known emulator limits. Cases pick
 * their devices by role from it.
 *
 * Invariants: everything is read from @root (normally "", a fake tree in
 * tests) at lab_env_discover() time; the struct is plain data and can be
 * copied into a forked child. Tables are fixed-size: extra devices beyond
 * LAB_ENV_MAX_DEVS are ignored and counted in @devs_dropped.
 * Safety rule used by the role pickers: a device that is bound to a host
 * driver (other than vfio-pci) is never chosen for a case that moves it into
 * another domain, so running the agent on a workstation cannot detach a
 * working device; the roles that fail before touching the device
 * (multi-device group, no group) may use any endpoint.
 * Ownership: no heap memory. Error convention: 0 or -errno.
 */
#ifndef LAB_ENV_H
#define LAB_ENV_H

#include <stdint.h>
#include <stdio.h>

#define LAB_ENV_MAX_IOMMUS	8
#define LAB_ENV_MAX_DEVS	64
#define LAB_ENV_MAX_CONFIG	16
#define LAB_NAME_LEN		48

#define LAB_EDU_VENDOR		0x1234
#define LAB_EDU_DEVICE		0x11e8

struct lab_iommu {
	char name[LAB_NAME_LEN];	/* sysfs class name: dmar0, ivhd0, ... */
	char driver[LAB_NAME_LEN];	/* intel-iommu, amd-iommu, virtio-iommu, ... */
	int has_regs;			/* VT-d cap/ecap were readable */
	uint64_t cap, ecap;
};

struct lab_pcidev {
	char bdf[16];			/* 0000:00:03.0 */
	unsigned int vendor, device, class;
	int group;			/* IOMMU group id, -1 when none */
	int group_devices;		/* devices in that group, 0 when none */
	char iommu[LAB_NAME_LEN];	/* IOMMU instance, "" when none */
	char bound[LAB_NAME_LEN];	/* bound driver, "" when none */
};

struct lab_config_sym {
	char name[40];			/* CONFIG_IOMMUFD */
	char value;			/* 'y', 'm' or 'n' */
};

struct lab_env {
	char root[128];			/* path prefix of /sys, /proc, /dev, /boot */
	char release[65];
	char machine[65];
	struct lab_iommu iommus[LAB_ENV_MAX_IOMMUS];
	int niommus;
	struct lab_pcidev devs[LAB_ENV_MAX_DEVS];
	int ndevs;
	int devs_dropped;
	int has_vfio;			/* /dev/vfio/vfio */
	int has_iommufd;		/* /dev/iommu */
	int has_vfio_cdev;		/* /dev/vfio/devices */
	int has_probe;			/* /dev/iommulab_probe */
	int intremap;			/* x86 interrupt remapping: 1 on, 0 off, -1 unknown */
	int msi_isolated;		/* the kernel treats MSIs as isolated (VFIO type1
					 * accepts groups): 1 yes, 0 no, -1 unknown */
	char msi_basis[160];		/* why msi_isolated has its value (printed, skip reasons) */
	char modules[256];		/* loaded modules of interest, space-separated */
	int config_known;		/* a kernel config was found */
	char config_src[64];
	struct lab_config_sym config[LAB_ENV_MAX_CONFIG];
	int nconfig;
	/* the target's known emulator limits: iommulab.limits=a,b on the kernel
	 * command line (docs/targets.md, docs/findings.md), "" when none */
	char limits[128];
};

/* fill @env from the running system under @root ("" for the real one) */
int lab_env_discover(struct lab_env *env, const char *root);

/* try to load the modules the cases use (kmod, vfio-pci) and re-check nodes */
void lab_env_load_modules(struct lab_env *env);

/* print the snapshot as "# env: ..." lines (KTAP diagnostics) */
void lab_env_print(const struct lab_env *env, FILE *out);

/* 'y', 'm', 'n' for a tracked config symbol, '?' when unknown */
char lab_env_config(const struct lab_env *env, const char *sym);

/* the IOMMU instance of @dev, or the first instance when @dev is NULL; NULL if none */
const struct lab_iommu *lab_env_iommu_of(const struct lab_env *env, const struct lab_pcidev *dev);

/* driver name for records: the device's IOMMU driver, else the machine's, else "none" */
const char *lab_env_driver_of(const struct lab_env *env, const struct lab_pcidev *dev);

int lab_env_is_edu(const struct lab_pcidev *d);

/* 1 when the target declares the known limit @name (iommulab.limits=), else 0 */
int lab_env_has_limit(const struct lab_env *env, const char *name);

/* PCI bus number of @d (from its bdf), -1 when unparsable */
int lab_env_bus_of(const struct lab_pcidev *d);

/*
 * Role pickers; each returns 0 and the device(s), or -ENOENT with a reason
 * in @why (the case then skips with it).
 *   single:    an unbound endpoint alone in its group (edu preferred)
 *   two_single: two unbound endpoints in two different single-device groups
 *   multi:     an endpoint in a group with more than one device
 *   nogroup:   an endpoint without an IOMMU group
 */
int lab_env_pick_single(const struct lab_env *env, const struct lab_pcidev **out,
			char *why, size_t len);
int lab_env_pick_two_single(const struct lab_env *env, const struct lab_pcidev **a,
			    const struct lab_pcidev **b, char *why, size_t len);
int lab_env_pick_multi(const struct lab_env *env, const struct lab_pcidev **out,
		       char *why, size_t len);
int lab_env_pick_nogroup(const struct lab_env *env, const struct lab_pcidev **out,
			 char *why, size_t len);

/*
 * Check one catalogue "need" against the snapshot: 0 when met, -ENOENT with
 * the reason in @why when not, -EINVAL for a need this agent does not know.
 * Vocabulary (also printed by `iommulab-agent -l -j`):
 *   iommu           an instance in /sys/class/iommu
 *   kmod            /dev/iommulab_probe
 *   vfio, iommufd, vfio-cdev   /dev/vfio/vfio, /dev/iommu, /dev/vfio/devices
 *   x86             the machine is x86
 *   intel-iommu, amd-iommu, virtio-iommu, arm-smmu-v3, riscv-iommu   the machine's IOMMU driver
 *   vtd-snoop-off, vtd-snoop-on   VT-d ECAP.SC
 *   vtd-aw39        VT-d CAP.MGAW <= 39
 *   no-intremap     MSIs not isolated (msi_isolated == 0; the name predates
 *                   arm64/s390x: on x86 that is "interrupt remapping off")
 *   vfio-irq-safe   MSIs isolated, or type1's allow_unsafe_interrupts=Y
 *   iommufd-irq-safe MSIs isolated, or iommufd's allow_unsafe_interrupts=Y
 *                   (iommufd_device_bind() refuses with EPERM otherwise)
 *   dev-single, dev-two-single, dev-multi, dev-nogroup   device roles (above)
 */
int lab_env_check_need(const struct lab_env *env, const char *need, char *why, size_t len);

/* VT-d register helpers (from the Intel VT-d spec): ECAP.SC bit 7, CAP.MGAW bits 21:16 */
int lab_vtd_snoop_control(uint64_t ecap);
int lab_vtd_mgaw(uint64_t cap);

/* run a program (PATH search) with stdout/stderr to /dev/null; its exit status or -errno */
int lab_env_run(const char *const argv[]);

#endif
