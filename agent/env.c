/*
 * env.c - discovery of kernel, IOMMUs, devices, groups and nodes (see env.h).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "env.h"

/* config symbols worth knowing for skip reasons and the env print */
static const char *const tracked_config[] = {
	"CONFIG_IOMMUFD", "CONFIG_VFIO", "CONFIG_VFIO_PCI", "CONFIG_VFIO_IOMMU_TYPE1",
	"CONFIG_VFIO_DEVICE_CDEV", "CONFIG_VFIO_CONTAINER", "CONFIG_INTEL_IOMMU",
	"CONFIG_AMD_IOMMU", "CONFIG_VIRTIO_IOMMU", "CONFIG_ARM_SMMU_V3",
	"CONFIG_IRQ_REMAP", "CONFIG_IOMMU_DEFAULT_DMA_STRICT", NULL,
};

static void path_of(const struct lab_env *env, char *buf, size_t len, const char *p)
{
	snprintf(buf, len, "%s%s", env->root, p);
}

/* read up to @len - 1 bytes of a small file, NUL-terminated; the byte count or -errno */
static ssize_t read_small(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0)
		n = -errno;
	close(fd);
	if (n >= 0)
		buf[n] = '\0';
	return n;
}

/* read a small file's first line (newline stripped); 0 or -errno */
static int read_line(const char *path, char *buf, size_t len)
{
	ssize_t n = read_small(path, buf, len);

	if (n < 0)
		return (int)n;
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

static int read_hex(const char *path, uint64_t *v)
{
	char buf[64], *end;
	int ret;

	ret = read_line(path, buf, sizeof(buf));
	if (ret)
		return ret;
	errno = 0;
	*v = strtoull(buf, &end, 16);
	if (errno || end == buf)
		return -EINVAL;
	return 0;
}

/* basename of a symlink's target into @out; 0 or -errno */
static int link_base(const char *path, char *out, size_t len)
{
	char tgt[512];
	const char *b;
	ssize_t n;

	n = readlink(path, tgt, sizeof(tgt) - 1);
	if (n < 0)
		return -errno;
	tgt[n] = '\0';
	b = strrchr(tgt, '/');
	b = b ? b + 1 : tgt;
	snprintf(out, len, "%s", b);
	return 0;
}

static int exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

static void driver_from_module(const char *mod, char *out, size_t len)
{
	if (strcmp(mod, "virtio_iommu") == 0)
		snprintf(out, len, "virtio-iommu");
	else if (strcmp(mod, "arm-smmu-v3") == 0 || strcmp(mod, "arm_smmu_v3") == 0)
		snprintf(out, len, "arm-smmu-v3");
	else if (strncmp(mod, "mtk-iommu", 9) == 0 || strncmp(mod, "mtk_iommu", 9) == 0)
		snprintf(out, len, "mtk-iommu");
	else if (strncmp(mod, "apple-dart", 10) == 0 || strncmp(mod, "apple_dart", 10) == 0)
		snprintf(out, len, "apple-dart");
	else
		snprintf(out, len, "%s", mod);
}

static void discover_iommus(struct lab_env *env)
{
	char dir[256], p[512], mod[LAB_NAME_LEN];
	struct dirent *de;
	DIR *d;

	path_of(env, dir, sizeof(dir), "/sys/class/iommu");
	d = opendir(dir);
	if (!d)
		return;
	while ((de = readdir(d)) && env->niommus < LAB_ENV_MAX_IOMMUS) {
		struct lab_iommu *u;

		if (de->d_name[0] == '.')
			continue;
		/* CONFIG_IOMMUFD_TEST's mock instance is not hardware */
		if (strncmp(de->d_name, "iommufd_selftest", 16) == 0)
			continue;
		u = &env->iommus[env->niommus++];
		memset(u, 0, sizeof(*u));
		snprintf(u->name, sizeof(u->name), "%s", de->d_name);
		snprintf(p, sizeof(p), "%s/%s/intel-iommu", dir, de->d_name);
		if (exists(p)) {
			snprintf(u->driver, sizeof(u->driver), "intel-iommu");
			snprintf(p, sizeof(p), "%s/%s/intel-iommu/cap", dir, de->d_name);
			if (!read_hex(p, &u->cap)) {
				snprintf(p, sizeof(p), "%s/%s/intel-iommu/ecap", dir, de->d_name);
				u->has_regs = !read_hex(p, &u->ecap);
			}
			continue;
		}
		snprintf(p, sizeof(p), "%s/%s/amd-iommu", dir, de->d_name);
		if (exists(p)) {
			snprintf(u->driver, sizeof(u->driver), "amd-iommu");
			continue;
		}
		if (strncmp(de->d_name, "smmu3.", 6) == 0) {
			snprintf(u->driver, sizeof(u->driver), "arm-smmu-v3");
			continue;
		}
		if (strncmp(de->d_name, "s390-iommu", 10) == 0) {
			snprintf(u->driver, sizeof(u->driver), "s390-iommu");
			continue;
		}
		/* riscv-iommu@<bdf> (PCI) or riscv-iommu@<addr> (platform): built in */
		if (strncmp(de->d_name, "riscv-iommu", 11) == 0) {
			snprintf(u->driver, sizeof(u->driver), "riscv-iommu");
			continue;
		}
		snprintf(p, sizeof(p), "%s/%s/device/driver", dir, de->d_name);
		if (!link_base(p, mod, sizeof(mod)))
			driver_from_module(mod, u->driver, sizeof(u->driver));
		else
			snprintf(u->driver, sizeof(u->driver), "unknown");
	}
	closedir(d);
}

static int count_group_devices(const struct lab_env *env, int group)
{
	char p[256];
	struct dirent *de;
	DIR *d;
	int n = 0;

	snprintf(p, sizeof(p), "%s/sys/kernel/iommu_groups/%d/devices", env->root, group);
	d = opendir(p);
	if (!d)
		return 0;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static int cmp_bdf(const void *a, const void *b)
{
	return strcmp(((const struct lab_pcidev *)a)->bdf, ((const struct lab_pcidev *)b)->bdf);
}

static void discover_pci(struct lab_env *env)
{
	char dir[256], p[512], buf[64];
	struct dirent *de;
	uint64_t v;
	DIR *d;

	path_of(env, dir, sizeof(dir), "/sys/bus/pci/devices");
	d = opendir(dir);
	if (!d)
		return;
	while ((de = readdir(d))) {
		struct lab_pcidev *x;

		if (de->d_name[0] == '.')
			continue;
		if (env->ndevs >= LAB_ENV_MAX_DEVS) {
			env->devs_dropped++;
			continue;
		}
		x = &env->devs[env->ndevs++];
		memset(x, 0, sizeof(*x));
		snprintf(x->bdf, sizeof(x->bdf), "%s", de->d_name);
		snprintf(p, sizeof(p), "%s/%s/vendor", dir, de->d_name);
		if (!read_hex(p, &v))
			x->vendor = (unsigned int)v;
		snprintf(p, sizeof(p), "%s/%s/device", dir, de->d_name);
		if (!read_hex(p, &v))
			x->device = (unsigned int)v;
		snprintf(p, sizeof(p), "%s/%s/class", dir, de->d_name);
		if (!read_hex(p, &v))
			x->class = (unsigned int)v;
		x->group = -1;
		snprintf(p, sizeof(p), "%s/%s/iommu_group", dir, de->d_name);
		if (!link_base(p, buf, sizeof(buf))) {
			x->group = atoi(buf);
			x->group_devices = count_group_devices(env, x->group);
		}
		snprintf(p, sizeof(p), "%s/%s/iommu", dir, de->d_name);
		if (link_base(p, x->iommu, sizeof(x->iommu)))
			x->iommu[0] = '\0';
		snprintf(p, sizeof(p), "%s/%s/driver", dir, de->d_name);
		if (link_base(p, x->bound, sizeof(x->bound)))
			x->bound[0] = '\0';
	}
	closedir(d);
	qsort(env->devs, (size_t)env->ndevs, sizeof(env->devs[0]), cmp_bdf);
}

/*
 * MSI isolation: does the kernel let VFIO type1 (and IOMMUFD) take a group
 * without allow_unsafe_interrupts? Followed from the kernel sources:
 *  - before 6.3 (6.1): vfio_iommu_type1 accepts the group when
 *    irq_domain_check_msi_remap() -- every MSI irq domain of the system has
 *    IRQ_DOMAIN_FLAG_MSI_REMAP in its hierarchy (only the GICv3 ITS sets it;
 *    true when there is no MSI domain at all) -- or a device of the group has
 *    IOMMU_CAP_INTR_REMAP (intel/amd: interrupt remapping enabled; s390-iommu:
 *    always).
 *  - 6.3 on (6.12): iommu_group_has_isolated_msi(): every device's MSI domain
 *    hierarchy has IRQ_DOMAIN_FLAG_ISOLATED_MSI (intel/amd IR domains, GICv3
 *    ITS), else arch_is_isolated_msi() (true on s390).
 * Userspace cannot see irq domain flags (no GENERIC_IRQ_DEBUGFS in Debian),
 * so the facts are: "IR-" chips in /proc/interrupts (x86 remapping in use),
 * the MSI controllers the firmware describes (device tree nodes with
 * msi-controller, ACPI MADT GIC ITS / GIC MSI frame entries) and "ITS-" or
 * "GICv2m" chips in /proc/interrupts. On arm64 6.3+ the decision is per
 * device; here it is per machine: isolated when an ITS exists and no
 * non-isolating MSI controller does (a machine mixing both is reported as
 * not isolated).
 */
struct msi_facts {
	int interrupts_read;	/* /proc/interrupts was readable */
	int ir;			/* an "IR-" chip: x86 interrupt remapping in use */
	int its;		/* a GICv3 ITS (firmware or "ITS-" chips) */
	int other;		/* an MSI controller that does not isolate */
	char its_src[32], other_src[48];
};

static void scan_interrupts(const struct lab_env *env, struct msi_facts *f)
{
	char p[256], line[1024];
	FILE *fp;

	path_of(env, p, sizeof(p), "/proc/interrupts");
	fp = fopen(p, "re");
	if (!fp)
		return;
	f->interrupts_read = 1;
	/* lines longer than the buffer are read in pieces: a chip name split
	 * across two pieces is missed, good enough for interrupts of interest */
	while (fgets(line, sizeof(line), fp)) {
		if (strstr(line, "IR-"))
			f->ir = 1;
		if (strstr(line, " ITS-") && !f->its) {
			f->its = 1;
			snprintf(f->its_src, sizeof(f->its_src), "ITS- interrupts");
		}
		if (strstr(line, "GICv2m") && !f->other) {
			f->other = 1;
			snprintf(f->other_src, sizeof(f->other_src), "GICv2m interrupts");
		}
	}
	fclose(fp);
}

/* 1 when the NUL-separated compatible list @c (@n bytes) names @want */
static int compat_has(const char *c, size_t n, const char *want)
{
	size_t off = 0;

	while (off < n) {
		if (strcmp(c + off, want) == 0)
			return 1;
		off += strnlen(c + off, n - off) + 1;
	}
	return 0;
}

/* walk a device tree directory: msi-controller nodes that are not disabled */
static void scan_dt(const char *dir, int depth, struct msi_facts *f)
{
	char p[512], buf[256];
	struct dirent *de;
	ssize_t n;
	DIR *d;

	snprintf(p, sizeof(p), "%s/msi-controller", dir);
	if (exists(p)) {
		snprintf(p, sizeof(p), "%s/status", dir);
		n = read_small(p, buf, sizeof(buf));
		if (n <= 0 || strcmp(buf, "okay") == 0 || strcmp(buf, "ok") == 0) {
			snprintf(p, sizeof(p), "%s/compatible", dir);
			n = read_small(p, buf, sizeof(buf));
			if (n > 0 && compat_has(buf, (size_t)n, "arm,gic-v3-its")) {
				f->its = 1;
				snprintf(f->its_src, sizeof(f->its_src), "device tree");
			} else if (!f->other) {
				f->other = 1;
				snprintf(f->other_src, sizeof(f->other_src), "device tree: %s",
					 n > 0 ? buf : "msi-controller");
			}
		}
	}
	if (depth >= 6)
		return;
	d = opendir(dir);
	if (!d)
		return;
	while ((de = readdir(d))) {
		struct stat st;

		if (de->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
		if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
			scan_dt(p, depth + 1, f);
	}
	closedir(d);
}

/* ACPI MADT: GIC ITS (type 0x0f) and GIC MSI frame (0x0d, GICv2m) entries */
static void scan_madt(const struct lab_env *env, struct msi_facts *f)
{
	unsigned char buf[16384];
	char p[256];
	size_t off = 44;	/* table header (36) + local controller address + flags */
	ssize_t n;
	int fd;

	path_of(env, p, sizeof(p), "/sys/firmware/acpi/tables/APIC");
	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, buf, sizeof(buf));
	close(fd);
	while (n > 0 && off + 2 <= (size_t)n && buf[off + 1] >= 2) {
		if (buf[off] == 0x0f) {
			f->its = 1;
			snprintf(f->its_src, sizeof(f->its_src), "ACPI MADT");
		} else if (buf[off] == 0x0d && !f->other) {
			f->other = 1;
			snprintf(f->other_src, sizeof(f->other_src), "ACPI MADT: GIC MSI frame");
		}
		off += buf[off + 1];
	}
}

/* kernel release as major*100 + minor, 0 when unparsable */
static int kernel_version(const struct lab_env *env)
{
	int maj, min;

	if (sscanf(env->release, "%d.%d", &maj, &min) != 2)
		return 0;
	return maj * 100 + min;
}

static void discover_msi_isolation(struct lab_env *env)
{
	struct msi_facts f = { 0 };
	int ver = kernel_version(env), x86, arm64, s390;
	const char *rule;
	char p[256];

	x86 = strcmp(env->machine, "x86_64") == 0 || strcmp(env->machine, "i686") == 0;
	arm64 = strcmp(env->machine, "aarch64") == 0;
	s390 = strcmp(env->machine, "s390x") == 0;
	scan_interrupts(env, &f);
	env->intremap = f.interrupts_read ? f.ir : -1;
	if (arm64) {
		path_of(env, p, sizeof(p), "/proc/device-tree");
		if (!exists(p))
			path_of(env, p, sizeof(p), "/sys/firmware/devicetree/base");
		scan_dt(p, 0, &f);
		scan_madt(env, &f);
	}
	rule = ver >= 603 ? "iommu_group_has_isolated_msi" :
		"irq_domain_check_msi_remap || IOMMU_CAP_INTR_REMAP";
	env->msi_isolated = -1;
	if (!ver) {
		snprintf(env->msi_basis, sizeof(env->msi_basis), "kernel release '%s' not understood",
			 env->release);
	} else if (s390) {
		env->msi_isolated = 1;
		snprintf(env->msi_basis, sizeof(env->msi_basis), "%s: %s", rule,
			 ver >= 603 ? "s390 arch_is_isolated_msi() is true" :
			 "s390 has no MSI irq domain and s390-iommu reports INTR_REMAP");
	} else if (x86) {
		env->msi_isolated = env->intremap;
		snprintf(env->msi_basis, sizeof(env->msi_basis), "%s: x86 interrupt remapping %s",
			 rule, env->intremap > 0 ? "on (IR- interrupts)" :
			 env->intremap == 0 ? "off (no IR- interrupts)" : "unknown (no /proc/interrupts)");
	} else if (arm64 && f.other) {
		env->msi_isolated = 0;
		snprintf(env->msi_basis, sizeof(env->msi_basis), "%s: MSI controller without isolation (%s)",
			 rule, f.other_src);
	} else if (arm64 && f.its) {
		env->msi_isolated = 1;
		snprintf(env->msi_basis, sizeof(env->msi_basis), "%s: GICv3 ITS (%s)", rule, f.its_src);
	} else if (arm64) {
		/* no MSI controller: 6.1's check passes vacuously, 6.3+ finds no domain */
		env->msi_isolated = ver < 603;
		snprintf(env->msi_basis, sizeof(env->msi_basis), "%s: no MSI controller", rule);
	} else {
		env->msi_isolated = f.interrupts_read ? (f.ir || f.its) : -1;
		snprintf(env->msi_basis, sizeof(env->msi_basis), "%s: %s (arch %s: only IR-/ITS- chips known)",
			 rule, f.ir ? "IR- interrupts" : f.its ? "ITS- interrupts" : "no isolating chip",
			 env->machine);
	}
}

static void config_line(struct lab_env *env, const char *line)
{
	int i;

	for (i = 0; tracked_config[i]; i++) {
		size_t l = strlen(tracked_config[i]);
		char val = 0;

		if (strncmp(line, tracked_config[i], l) == 0 && line[l] == '=')
			val = line[l + 1];
		else if (strncmp(line, "# ", 2) == 0 && strncmp(line + 2, tracked_config[i], l) == 0 &&
			 strncmp(line + 2 + l, " is not set", 11) == 0)
			val = 'n';
		if (val && env->nconfig < LAB_ENV_MAX_CONFIG) {
			snprintf(env->config[env->nconfig].name, sizeof(env->config[0].name), "%s",
				 tracked_config[i]);
			env->config[env->nconfig].value = val;
			env->nconfig++;
		}
	}
}

static void config_stream(struct lab_env *env, FILE *f)
{
	char line[512];

	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		config_line(env, line);
	}
}

static void discover_config(struct lab_env *env)
{
	char p[256], cmd[300];
	FILE *f;

	snprintf(p, sizeof(p), "%s/boot/config-%s", env->root, env->release);
	f = fopen(p, "re");
	if (f) {
		config_stream(env, f);
		fclose(f);
		env->config_known = 1;
		snprintf(env->config_src, sizeof(env->config_src), "/boot/config-%s", env->release);
		return;
	}
	path_of(env, p, sizeof(p), "/proc/config.gz");
	if (!exists(p))
		return;
	/* no zlib in the static agent: busybox or gzip provide zcat */
	if (strchr(p, '\'') != NULL)
		return;
	snprintf(cmd, sizeof(cmd), "zcat '%s' 2>/dev/null", p);
	f = popen(cmd, "r");
	if (!f)
		return;
	config_stream(env, f);
	env->config_known = pclose(f) == 0 && env->nconfig > 0;
	if (env->config_known)
		snprintf(env->config_src, sizeof(env->config_src), "/proc/config.gz");
}

/* the loaded modules the cases depend on (everything else is noise here) */
static void discover_modules(struct lab_env *env)
{
	static const char *const interesting[] = { "iommulab_probe", "vfio", "vfio_iommu_type1",
						   "vfio_pci", "vfio_pci_core", "iommufd",
						   "virtio_iommu", NULL };
	char p[256], line[256];
	FILE *f;
	int i;

	env->modules[0] = '\0';
	path_of(env, p, sizeof(p), "/proc/modules");
	f = fopen(p, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, " ")] = '\0';
		for (i = 0; interesting[i]; i++) {
			size_t used = strlen(env->modules);

			if (strcmp(line, interesting[i]) != 0)
				continue;
			snprintf(env->modules + used, sizeof(env->modules) - used, "%s%s",
				 used ? " " : "", line);
		}
	}
	fclose(f);
}

static void discover_nodes(struct lab_env *env)
{
	char p[256];

	path_of(env, p, sizeof(p), "/dev/vfio/vfio");
	env->has_vfio = exists(p);
	path_of(env, p, sizeof(p), "/dev/iommu");
	env->has_iommufd = exists(p);
	path_of(env, p, sizeof(p), "/dev/vfio/devices");
	env->has_vfio_cdev = exists(p);
	path_of(env, p, sizeof(p), "/dev/iommulab_probe");
	env->has_probe = exists(p);
	discover_modules(env);
}

/* iommulab.limits=a,b from the kernel command line: target facts rig/boot
 * passes through the target's qemu.append (main.c ignores the key) */
static void discover_limits(struct lab_env *env)
{
	char p[256], buf[4096], *save = NULL, *tok;

	path_of(env, p, sizeof(p), "/proc/cmdline");
	if (read_line(p, buf, sizeof(buf)))
		return;
	for (tok = strtok_r(buf, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save))
		if (strncmp(tok, "iommulab.limits=", 16) == 0)
			snprintf(env->limits, sizeof(env->limits), "%s", tok + 16);
}

int lab_env_discover(struct lab_env *env, const char *root)
{
	struct utsname u;

	memset(env, 0, sizeof(*env));
	if (strlen(root) >= sizeof(env->root))
		return -ENAMETOOLONG;
	snprintf(env->root, sizeof(env->root), "%s", root);
	if (uname(&u))
		return -errno;
	snprintf(env->release, sizeof(env->release), "%s", u.release);
	snprintf(env->machine, sizeof(env->machine), "%s", u.machine);
	if (*root) {
		/* a fake tree may name its own kernel */
		char p[256], buf[65];

		path_of(env, p, sizeof(p), "/proc/sys/kernel/osrelease");
		if (!read_line(p, buf, sizeof(buf)))
			snprintf(env->release, sizeof(env->release), "%s", buf);
		/* and its arch (kernel.arch sysctl = uname -m) */
		path_of(env, p, sizeof(p), "/proc/sys/kernel/arch");
		if (!read_line(p, buf, sizeof(buf)))
			snprintf(env->machine, sizeof(env->machine), "%s", buf);
	}
	discover_iommus(env);
	discover_pci(env);
	discover_msi_isolation(env);
	discover_config(env);
	discover_nodes(env);
	discover_limits(env);
	return 0;
}

int lab_env_run(const char *const argv[])
{
	int status, fd;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		fd = open("/dev/null", O_RDWR);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0)
		return -errno;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

void lab_env_load_modules(struct lab_env *env)
{
	static const char *const mods[] = { "iommulab_probe", "vfio", "vfio_iommu_type1",
					    "vfio-pci", "iommufd", NULL };
	char p[256];
	int i;

	if (*env->root)
		return;		/* never load modules for a fake tree */
	for (i = 0; mods[i]; i++) {
		const char *argv[] = { "modprobe", "-q", mods[i], NULL };

		if (strcmp(mods[i], "iommulab_probe") == 0 && env->has_probe)
			continue;
		if (strcmp(mods[i], "vfio-pci") == 0) {
			path_of(env, p, sizeof(p), "/sys/bus/pci/drivers/vfio-pci");
			if (exists(p))
				continue;
		}
		lab_env_run(argv);
	}
	discover_nodes(env);
}

char lab_env_config(const struct lab_env *env, const char *sym)
{
	int i;

	for (i = 0; i < env->nconfig; i++)
		if (strcmp(env->config[i].name, sym) == 0)
			return env->config[i].value;
	return env->config_known ? 'n' : '?';
}

const struct lab_iommu *lab_env_iommu_of(const struct lab_env *env, const struct lab_pcidev *dev)
{
	int i;

	if (dev && dev->iommu[0]) {
		for (i = 0; i < env->niommus; i++)
			if (strcmp(env->iommus[i].name, dev->iommu) == 0)
				return &env->iommus[i];
	}
	return env->niommus ? &env->iommus[0] : NULL;
}

const char *lab_env_driver_of(const struct lab_env *env, const struct lab_pcidev *dev)
{
	const struct lab_iommu *u = lab_env_iommu_of(env, dev);

	return u ? u->driver : "none";
}

int lab_env_has_limit(const struct lab_env *env, const char *name)
{
	size_t n = strlen(name);
	const char *s = env->limits;

	while (n && *s) {
		if (strncmp(s, name, n) == 0 && (s[n] == ',' || s[n] == '\0'))
			return 1;
		s += strcspn(s, ",");
		s += *s == ',';
	}
	return 0;
}

int lab_env_bus_of(const struct lab_pcidev *d)
{
	unsigned int dom, bus;

	return sscanf(d->bdf, "%x:%x:", &dom, &bus) == 2 ? (int)bus : -1;
}

int lab_env_is_edu(const struct lab_pcidev *d)
{
	return d->vendor == LAB_EDU_VENDOR && d->device == LAB_EDU_DEVICE;
}

static int is_endpoint(const struct lab_pcidev *d)
{
	return (d->class >> 16) != 0x06;	/* not a bridge */
}

static int is_free(const struct lab_pcidev *d)
{
	return d->bound[0] == '\0' || strcmp(d->bound, "vfio-pci") == 0;
}

/* score for single-device roles: edu first, then any free endpoint */
static int single_score(const struct lab_pcidev *d)
{
	if (!is_endpoint(d) || !is_free(d) || d->group < 0 || d->group_devices != 1)
		return 0;
	return lab_env_is_edu(d) ? 2 : 1;
}

int lab_env_pick_single(const struct lab_env *env, const struct lab_pcidev **out,
			char *why, size_t len)
{
	int i, best = -1, bs = 0;

	for (i = 0; i < env->ndevs; i++) {
		int s = single_score(&env->devs[i]);

		if (s > bs) {
			bs = s;
			best = i;
		}
	}
	if (best < 0) {
		snprintf(why, len, "no unbound PCI endpoint alone in its IOMMU group on this target");
		return -ENOENT;
	}
	*out = &env->devs[best];
	return 0;
}

int lab_env_pick_two_single(const struct lab_env *env, const struct lab_pcidev **a,
			    const struct lab_pcidev **b, char *why, size_t len)
{
	int i, first = -1, second = -1;
	int pass;

	/* two passes: edu devices first, then any free endpoint */
	for (pass = 2; pass >= 1 && second < 0; pass--) {
		for (i = 0; i < env->ndevs && second < 0; i++) {
			int s = single_score(&env->devs[i]);

			if (s < pass || i == first)
				continue;
			if (first < 0)
				first = i;
			else if (env->devs[i].group != env->devs[first].group)
				second = i;
		}
	}
	if (second < 0) {
		snprintf(why, len, "needs two unbound PCI endpoints in two single-device IOMMU groups");
		return -ENOENT;
	}
	*a = &env->devs[first];
	*b = &env->devs[second];
	return 0;
}

static int in_multi_group(const struct lab_pcidev *d)
{
	return d->group >= 0 && d->group_devices >= 2;
}

static int without_group(const struct lab_pcidev *d)
{
	return d->group < 0;
}

/*
 * The first PCI endpoint @want accepts, an edu device preferred; -ENOENT
 * with "no PCI endpoint @none on this target" in @why when there is none.
 */
static int pick_endpoint(const struct lab_env *env, int (*want)(const struct lab_pcidev *),
			 const struct lab_pcidev **out, const char *none, char *why, size_t len)
{
	const struct lab_pcidev *pick = NULL;
	int i;

	for (i = 0; i < env->ndevs; i++) {
		const struct lab_pcidev *d = &env->devs[i];

		if (!is_endpoint(d) || !want(d))
			continue;
		if (!pick || (lab_env_is_edu(d) && !lab_env_is_edu(pick)))
			pick = d;
	}
	if (!pick) {
		snprintf(why, len, "no PCI endpoint %s on this target", none);
		return -ENOENT;
	}
	*out = pick;
	return 0;
}

int lab_env_pick_multi(const struct lab_env *env, const struct lab_pcidev **out,
		       char *why, size_t len)
{
	return pick_endpoint(env, in_multi_group, out, "in a multi-device IOMMU group", why, len);
}

int lab_env_pick_nogroup(const struct lab_env *env, const struct lab_pcidev **out,
			 char *why, size_t len)
{
	return pick_endpoint(env, without_group, out, "without an IOMMU group", why, len);
}

int lab_vtd_snoop_control(uint64_t ecap)
{
	return (int)((ecap >> 7) & 1);
}

int lab_vtd_mgaw(uint64_t cap)
{
	return (int)((cap >> 16) & 0x3f) + 1;
}

static const struct lab_iommu *first_vtd(const struct lab_env *env, char *why, size_t len)
{
	int i;

	for (i = 0; i < env->niommus; i++)
		if (strcmp(env->iommus[i].driver, "intel-iommu") == 0 && env->iommus[i].has_regs)
			return &env->iommus[i];
	snprintf(why, len, "no VT-d unit with readable cap/ecap registers");
	return NULL;
}

/*
 * The *-irq-safe needs: does module @mod accept devices as far as
 * interrupts go (MSIs isolated, or its allow_unsafe_interrupts parameter
 * set, Y or 1)? 0 if so, else -ENOENT with @why naming the parameter as
 * @knob and what @mod then @refuses.
 */
static int need_irqs_safe(const struct lab_env *env, const char *mod, const char *knob,
			  const char *refuses, char *why, size_t len)
{
	char p[256], buf[8] = "";

	if (env->msi_isolated > 0)
		return 0;
	snprintf(p, sizeof(p), "%s/sys/module/%s/parameters/allow_unsafe_interrupts",
		 env->root, mod);
	if (!read_line(p, buf, sizeof(buf)) && (buf[0] == 'Y' || buf[0] == '1'))
		return 0;
	snprintf(why, len, "MSIs %s isolated (%s) and %s=N: %s",
		 env->msi_isolated == 0 ? "not" : "maybe not", env->msi_basis, knob, refuses);
	return -ENOENT;
}

/*
 * <root>/etc/iommulab/kmod-missing (rig/mkinitramfs --kmod-missing): why the
 * rig built no iommulab_probe for this kernel, e.g. the compiler error of a
 * kernel whose headers need a newer gcc. 0 with "iommulab_probe not built
 * for this kernel: WHY" in @why, -ENOENT when there is no such file.
 */
static int kmod_missing_reason(const struct lab_env *env, char *why, size_t len)
{
	char path[192], text[200];
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "%s/etc/iommulab/kmod-missing", env->root);
	f = fopen(path, "re");
	if (!f)
		return -ENOENT;
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = 0;
	while (n && (text[n - 1] == '\n' || text[n - 1] == ' '))
		text[--n] = 0;
	snprintf(why, len, "iommulab_probe not built for this kernel: %s", n ? text : "no reason given");
	return 0;
}

int lab_env_check_need(const struct lab_env *env, const char *need, char *why, size_t len)
{
	const struct lab_pcidev *a, *b;
	const struct lab_iommu *u;

	if (strcmp(need, "iommu") == 0) {
		if (env->niommus)
			return 0;
		snprintf(why, len, "no IOMMU instance in /sys/class/iommu");
		return -ENOENT;
	}
	if (strcmp(need, "x86") == 0) {
		if (strcmp(env->machine, "x86_64") == 0 || strcmp(env->machine, "i686") == 0)
			return 0;
		snprintf(why, len, "needs x86 (this is %s)", env->machine);
		return -ENOENT;
	}
	if (strcmp(need, "kmod") == 0) {
		if (env->has_probe)
			return 0;
		/* the rig could not build the module for this kernel: its reason */
		if (!kmod_missing_reason(env, why, len))
			return -ENOENT;
		snprintf(why, len, "no /dev/iommulab_probe: iommulab_probe module not loaded");
		return -ENOENT;
	}
	if (strcmp(need, "vfio") == 0) {
		/* the container without its type1 backend (Debian unstable riscv64) */
		if (env->has_vfio && lab_env_config(env, "CONFIG_VFIO_IOMMU_TYPE1") == 'n') {
			snprintf(why, len, "kernel without the VFIO type1 IOMMU backend (CONFIG_VFIO_IOMMU_TYPE1=n): a container cannot take groups");
			return -ENOENT;
		}
		if (env->has_vfio)
			return 0;
		snprintf(why, len, "no /dev/vfio/vfio: kernel without VFIO container support");
		return -ENOENT;
	}
	if (strcmp(need, "iommufd") == 0) {
		if (env->has_iommufd)
			return 0;
		snprintf(why, len, "no /dev/iommu: kernel without IOMMUFD (CONFIG_IOMMUFD=%c)",
			 lab_env_config(env, "CONFIG_IOMMUFD"));
		return -ENOENT;
	}
	if (strcmp(need, "vfio-cdev") == 0) {
		/* /dev/vfio/devices appears with the first device bound to vfio-pci */
		if (env->has_vfio_cdev || lab_env_config(env, "CONFIG_VFIO_DEVICE_CDEV") == 'y')
			return 0;
		snprintf(why, len, "kernel without VFIO device cdevs (CONFIG_VFIO_DEVICE_CDEV=%c, no /dev/vfio/devices)",
			 lab_env_config(env, "CONFIG_VFIO_DEVICE_CDEV"));
		return -ENOENT;
	}
	if (strcmp(need, "intel-iommu") == 0 || strcmp(need, "amd-iommu") == 0 ||
	    strcmp(need, "virtio-iommu") == 0 || strcmp(need, "arm-smmu-v3") == 0 ||
	    strcmp(need, "riscv-iommu") == 0) {
		const char *drv = lab_env_driver_of(env, NULL);

		if (strcmp(drv, need) == 0)
			return 0;
		snprintf(why, len, "needs %s, this target has %s", need, drv);
		return -ENOENT;
	}
	if (strcmp(need, "vtd-snoop-off") == 0 || strcmp(need, "vtd-snoop-on") == 0) {
		int want = strcmp(need, "vtd-snoop-on") == 0;

		u = first_vtd(env, why, len);
		if (!u)
			return -ENOENT;
		if (lab_vtd_snoop_control(u->ecap) == want)
			return 0;
		snprintf(why, len, "%s: snoop control is %s (ecap 0x%llx), case needs it %s",
			 u->name, want ? "off" : "on", (unsigned long long)u->ecap,
			 want ? "on" : "off");
		return -ENOENT;
	}
	if (strcmp(need, "vtd-aw39") == 0) {
		u = first_vtd(env, why, len);
		if (!u)
			return -ENOENT;
		if (lab_vtd_mgaw(u->cap) <= 39)
			return 0;
		snprintf(why, len, "%s: address width %d bits, case needs <= 39 (aw-bits=39)",
			 u->name, lab_vtd_mgaw(u->cap));
		return -ENOENT;
	}
	if (strcmp(need, "vfio-irq-safe") == 0)
		return need_irqs_safe(env, "vfio_iommu_type1", "allow_unsafe_interrupts",
				      "type1 refuses every group here (see vfio.type1.unsafe_interrupts)",
				      why, len);
	/* iommufd_device_bind(): -EPERM unless MSIs are isolated or the
	 * iommufd module allows unsafe interrupts (mock devices exempt) */
	if (strcmp(need, "iommufd-irq-safe") == 0)
		return need_irqs_safe(env, "iommufd", "iommufd.allow_unsafe_interrupts",
				      "IOMMUFD refuses to bind any device here (EPERM)", why, len);
	if (strcmp(need, "no-intremap") == 0) {
		if (env->msi_isolated == 0)
			return 0;
		snprintf(why, len, "MSIs %s isolated (%s); case needs a target without MSI isolation",
			 env->msi_isolated > 0 ? "are" : "may be", env->msi_basis);
		return -ENOENT;
	}
	if (strcmp(need, "dev-single") == 0)
		return lab_env_pick_single(env, &a, why, len);
	if (strcmp(need, "dev-two-single") == 0)
		return lab_env_pick_two_single(env, &a, &b, why, len);
	if (strcmp(need, "dev-multi") == 0)
		return lab_env_pick_multi(env, &a, why, len);
	if (strcmp(need, "dev-nogroup") == 0)
		return lab_env_pick_nogroup(env, &a, why, len);
	snprintf(why, len, "unknown need '%s'", need);
	return -EINVAL;
}

void lab_env_print(const struct lab_env *env, FILE *out)
{
	int i;

	fprintf(out, "# env: kernel %s arch %s\n", env->release, env->machine);
	for (i = 0; i < env->niommus; i++) {
		const struct lab_iommu *u = &env->iommus[i];

		fprintf(out, "# env: iommu %s driver %s", u->name, u->driver);
		if (u->has_regs)
			fprintf(out, " cap 0x%llx ecap 0x%llx (snoop-control %s, mgaw %d)",
				(unsigned long long)u->cap, (unsigned long long)u->ecap,
				lab_vtd_snoop_control(u->ecap) ? "on" : "off", lab_vtd_mgaw(u->cap));
		fputc('\n', out);
	}
	if (!env->niommus)
		fprintf(out, "# env: no IOMMU instance\n");
	for (i = 0; i < env->ndevs; i++) {
		const struct lab_pcidev *d = &env->devs[i];

		fprintf(out, "# env: pci %s %04x:%04x class %06x group %d (%d dev) iommu %s driver %s%s\n",
			d->bdf, d->vendor, d->device, d->class, d->group, d->group_devices,
			d->iommu[0] ? d->iommu : "-", d->bound[0] ? d->bound : "-",
			lab_env_is_edu(d) ? " [edu]" : "");
	}
	if (env->devs_dropped)
		fprintf(out, "# env: %d more PCI devices not tracked\n", env->devs_dropped);
	fprintf(out, "# env: /dev/vfio/vfio %s, /dev/vfio/devices %s, /dev/iommu %s, /dev/iommulab_probe %s\n",
		env->has_vfio ? "yes" : "no", env->has_vfio_cdev ? "yes" : "no",
		env->has_iommufd ? "yes" : "no", env->has_probe ? "yes" : "no");
	if (env->limits[0])
		fprintf(out, "# env: known limits of this target: %s (docs/findings.md)\n", env->limits);
	fprintf(out, "# env: modules loaded: %s\n", env->modules[0] ? env->modules : "(none of interest)");
	fprintf(out, "# env: interrupt remapping %s\n",
		env->intremap > 0 ? "on" : env->intremap == 0 ? "off" : "unknown");
	fprintf(out, "# env: MSI isolation %s: %s\n",
		env->msi_isolated > 0 ? "yes" : env->msi_isolated == 0 ? "no" : "unknown",
		env->msi_basis);
	if (env->config_known) {
		fprintf(out, "# env: config from %s:", env->config_src);
		for (i = 0; i < env->nconfig; i++)
			fprintf(out, " %s=%c", env->config[i].name + 7, env->config[i].value);
		fputc('\n', out);
	} else {
		fprintf(out, "# env: kernel config not available (no /boot/config-%s, no /proc/config.gz)\n",
			env->release);
	}
}
